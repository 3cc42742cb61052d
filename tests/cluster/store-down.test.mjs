#!/usr/bin/env node
// Issue 27: the session store down and back, two replicas behind HAProxy on the shipped model.
//   frozen Redis (SIGSTOP) during a drag: the drag ends with an error event naming the store; requests get
//   503 JSON {error, reason} with Retry-After within a bounded time, directly and through the balancer;
//   /healthz stays 200 while /readyz says 503 with the reason; nothing crashes or hangs. Woken (SIGCONT):
//   the replicas are ready again, the session is intact and takes a new drag.
//   Redis stopped and restarted empty: the replica that holds the session commits it again whole; the session
//   answers as before, and the other replica still cannot take it (the lease is back).
//   node tests/cluster/store-down.test.mjs [--binary B] [--model M]
import { Checks, PageStream, api, deadline, sleep, startCluster } from './cluster.mjs';

deadline(240, 'cluster store down');
const checks = new Checks('cluster store down');
const cluster = await startCluster(2, { leaseMs: 1500 });
const LB = cluster.balancer.url;
const report = {};

async function within(ms, what, fn) {
  const until = Date.now() + ms;
  let last;
  for (;;) {
    last = await fn();
    if (last.ok) return last;
    if (Date.now() > until) { checks.ok(false, `${what} (last: ${JSON.stringify(last).slice(0, 300)})`); return last; }
    await sleep(100);
  }
}

const is503 = (r) => r.status === 503 && r.body && typeof r.body.error === 'string' && r.body.reason &&
  r.headers.get('retry-after') !== null;

try {
  const created = await api(LB, 'POST', '/api/sessions', { seed: 3 });
  const id = created.body.id;
  const owner = cluster.replica(created.replica);
  const other = cluster.replicas.find((r) => r !== owner);
  await api(LB, 'POST', `/api/sessions/${id}/points`, { handle: [12, 14], target: [22.5, 9.5] });
  const stream = new PageStream(LB, id);
  await stream.waitFor((e) => e.event === 'state', 15000, 'state', true);
  const done = stream.waitFor((e) => e.event === 'done', 60000, 'done event');
  await api(LB, 'POST', `/api/sessions/${id}/start`, { max_steps: 5000, params: { lr: 0.002, stop_distance: 0 } });
  await stream.waitFor((e) => e.event === 'step' && e.data.step >= 5, 30000, 'step 5');

  // ------------------------------------------------------------ frozen Redis
  cluster.redis.process.signal('SIGSTOP');
  const frozenAt = Date.now();
  const end = await done;
  report.drag_error_after_ms = end.at - frozenAt;
  checks.ok(end.data.reason === 'error' && /store/.test(end.data.error || ''),
    `frozen store: the drag ended ${end.data.reason}: ${end.data.error}`);
  checks.ok(end.at - frozenAt < 5000, `frozen store: the drag's error came after ${end.at - frozenAt} ms`);

  const edit = await api(owner.url, 'POST', `/api/sessions/${id}/points`, { handle: [5, 5], target: [6, 6] });
  checks.ok(is503(edit) && edit.body.reason === 'store_unavailable', `frozen store: an edit got ${edit.status} ${JSON.stringify(edit.body)}`);
  checks.ok(edit.ms < 3000, `frozen store: the edit's answer took ${Math.round(edit.ms)} ms`);
  const create = await api(other.url, 'POST', '/api/sessions', {});
  checks.ok(is503(create), `frozen store: a new session got ${create.status} ${JSON.stringify(create.body)}`);
  checks.ok(create.ms < 3000, `frozen store: the new session's answer took ${Math.round(create.ms)} ms`);
  for (const r of cluster.replicas) {
    const health = await api(r.url, 'GET', '/healthz');
    checks.ok(health.status === 200, `frozen store: ${r.name} /healthz ${health.status}`);
    const ready = await within(5000, `frozen store: ${r.name} /readyz stays 200`, async () => {
      const x = await api(r.url, 'GET', '/readyz');
      return { ok: x.status === 503 && /store/.test(x.body.error), status: x.status, body: x.body, ms: x.ms };
    });
    checks.ok(ready.ms < 3000, `frozen store: /readyz took ${Math.round(ready.ms)} ms`);
  }
  // The balancer sees every replica unready: its own 503, JSON as well.
  const viaLb = await within(8000, 'frozen store: the balancer keeps routing', async () => {
    const x = await api(LB, 'GET', `/api/sessions/${id}`);
    return { ok: is503(x), status: x.status, body: x.body };
  });
  report.balancer_answer = viaLb.body;
  checks.ok(cluster.replicas.every((r) => r.process.alive()), 'frozen store: a replica died');

  cluster.redis.process.signal('SIGCONT');
  const wokenAt = Date.now();
  await within(10000, 'store back: the balancer answers for the session again', async () => {
    const x = await api(LB, 'GET', `/api/sessions/${id}`);
    return { ok: x.status === 200 && x.body.points.length === 1, status: x.status, body: x.body };
  });
  report.back_after_ms = Date.now() - wokenAt;
  // HAProxy cut the page's stream when it marked the replicas down; as the page does, the next drag starts once
  // the stream is back (its first state): a drag of 15 steps ends well within the stream's 1-s reconnect delay.
  await stream.waitFor((e) => e.event === 'state' && e.at > wokenAt, 10000, 'the page stream back', true);
  report.stream_back_after_ms = Date.now() - wokenAt;
  const again = stream.waitFor((e) => e.event === 'done', 60000, 'done after the store came back');
  const restart = await api(LB, 'POST', `/api/sessions/${id}/start`, { max_steps: 15 });
  checks.ok(restart.status === 202, `store back: start got ${restart.status} ${JSON.stringify(restart.body)}`);
  const end2 = await again;
  checks.ok(end2.data.reason === 'max_steps' || end2.data.reason === 'reached', `store back: the drag ended ${end2.data.reason}`);
  stream.close();

  // ------------------------------------------------------------ Redis restarted empty
  const port = cluster.redis.port;
  await cluster.redis.process.stop();
  const stoppedAt = Date.now();
  const down = await api(owner.url, 'POST', `/api/sessions/${id}/points`, { handle: [7, 7] });
  checks.ok(is503(down) || down.status === 201, `store stopped: an edit got ${down.status}`);
  await cluster.redis.start(port);
  await within(10000, 'store restarted: the holder commits the session again', async () => {
    const doc = cluster.redis.cli('EXISTS', `dg:{${id}}:doc`);
    return { ok: doc === '1', doc };
  });
  report.reseeded_after_ms = Date.now() - stoppedAt;
  const after = await api(LB, 'GET', `/api/sessions/${id}`);
  checks.ok(after.status === 200 && after.replica === owner.name, `store restarted: GET ${after.status} from ${after.replica}`);
  const elsewhere = await api(other.url, 'GET', `/api/sessions/${id}`);
  checks.ok(elsewhere.status === 421 && elsewhere.body.replica === owner.name,
    `store restarted: the other replica answers ${elsewhere.status} ${JSON.stringify(elsewhere.body).slice(0, 200)}`);
  const image = await api(LB, 'GET', `/api/sessions/${id}/image.png`);
  checks.ok(image.status === 200, `store restarted: image ${image.status}`);
} catch (e) {
  checks.ok(false, `unexpected: ${e.stack || e}`);
}

console.log(JSON.stringify(report, null, 1));
await cluster.stop();
process.exit(checks.finish());
