#!/usr/bin/env node
// Issue 27: three replicas behind HAProxy sharing one redis-server, on the shipped model. Checks, in one
// cluster (about a minute on a quiet 2-core machine):
//   stickiness     every request of a session, through the balancer, is answered by the replica that drives it;
//   kill -9        the replica driving a drag is killed mid-drag: the page's stream reconnects, the drag goes on
//                  elsewhere and ends with the same handles at every step, the same latent and image as the
//                  same drag run without interruption;
//   SIGSTOP        the owner is frozen mid-drag (with a mask): the drag goes on elsewhere and ends equal to an
//                  uninterrupted one; woken, the old owner writes nothing (the store's keys stay as they were)
//                  and no longer answers for the session;
//   two replicas   a session hit directly on two replicas: exactly one drives it, the other answers 421 naming it;
//   drain          SIGTERM to the replica driving a drag: it exits 0, the drag goes on elsewhere at once and
//                  ends equal to the uninterrupted one.
//   node tests/cluster/failover.test.mjs [--binary B] [--model M]
import {
  Checks, PageStream, api, deadline, imageMaxDiff, latentOf, maxAbsDiff, sleep, startCluster,
} from './cluster.mjs';

deadline(300, 'cluster failover');
const checks = new Checks('cluster failover');
const LEASE_MS = 1500;
const cluster = await startCluster(3, { leaseMs: LEASE_MS });
const LB = cluster.balancer.url;
const report = {};

// A 32x32 session with two handles whose targets (fractional: never exactly reached) keep it dragging for
// max_steps; with `mask`, only the left half may move.
const DRAG = { max_steps: 90, params: { lr: 0.01, stop_distance: 0 } };
async function dragSession(base, { mask = false, seed = 7 } = {}) {
  const created = await api(base, 'POST', '/api/sessions', { seed });
  if (!checks.ok(created.status === 201, `create session: ${created.status} ${JSON.stringify(created.body)}`)) throw new Error('no session');
  const id = created.body.id;
  await api(base, 'POST', `/api/sessions/${id}/points`, { handle: [12, 14], target: [22.5, 9.5] });
  await api(base, 'POST', `/api/sessions/${id}/points`, { handle: [18, 20], target: [8.5, 24.5] });
  if (mask) {
    const counts = [0];  // runs alternate fixed (0) and movable (1), from a fixed one: each row 16 + 16
    for (let y = 0; y < 32; y++) counts.push(16, 16);
    const put = await api(base, 'PUT', `/api/sessions/${id}/mask`, { format: 'rle', width: 32, height: 32, counts });
    checks.ok(put.status === 200, `mask: ${put.status} ${JSON.stringify(put.body).slice(0, 200)}`);
  }
  return { id, owner: created.replica };
}

async function finalState(base, id) {
  const doc = await api(base, 'GET', `/api/sessions/${id}/session.json`);
  const png = await api(base, 'GET', `/api/sessions/${id}/image.png`);
  return { latent: latentOf(doc.body), png: png.body, replica: doc.replica };
}

// A drag from start to its `done` event, with the page's stream open. `during(stream, session)` may interrupt it.
async function runDrag(session, during = async () => {}) {
  const stream = new PageStream(LB, session.id);
  await stream.waitFor((e) => e.event === 'state', 15000, 'first state', true);
  const done = stream.waitFor((e) => e.event === 'done', 90000, 'done event');
  const started = await api(LB, 'POST', `/api/sessions/${session.id}/start`, DRAG);
  checks.ok(started.status === 202, `start: ${started.status} ${JSON.stringify(started.body)}`);
  const extra = await during(stream, session);
  const end = await done;
  stream.close();
  const final = await finalState(LB, session.id);
  return { stream, end, final, extra };
}

function compareDrags(what, run, reference) {
  const got = run.stream.handlesByStep(), want = reference.stream.handlesByStep();
  let compared = 0, differing = 0;
  for (const [step, handles] of got) {
    if (!want.has(step)) continue;
    compared++;
    if (want.get(step) !== handles) differing++;
  }
  checks.ok(compared >= DRAG.max_steps * 0.8, `${what}: ${compared} steps compared (of ${DRAG.max_steps})`);
  checks.ok(differing === 0, `${what}: handles differ at ${differing} of ${compared} steps`);
  checks.ok(run.end.data.reason === reference.end.data.reason && run.end.data.step === reference.end.data.step,
    `${what}: ended ${run.end.data.reason} at step ${run.end.data.step}, uninterrupted ${reference.end.data.reason} at ${reference.end.data.step}`);
  const dLatent = maxAbsDiff(run.final.latent, reference.final.latent);
  const dImage = imageMaxDiff(run.final.png, reference.final.png);
  checks.ok(dLatent <= 1e-5, `${what}: final latent differs by ${dLatent}`);
  checks.ok(dImage <= 1, `${what}: final image differs by ${dImage} levels`);
  return { compared, latent_max_diff: dLatent, image_max_diff: dImage };
}

try {
  // ---------------------------------------------------------------- stickiness
  {
    const owners = new Set();
    let mismatched = 0;
    for (let i = 0; i < 9; i++) {
      const created = await api(LB, 'POST', '/api/sessions', { seed: i });
      owners.add(created.replica);
      for (const route of ['', '/mask', '/image.png', '']) {
        const r = await api(LB, 'GET', `/api/sessions/${created.body.id}${route}`);
        if (r.status !== 200 || r.replica !== created.replica) mismatched++;
      }
    }
    checks.ok(mismatched === 0, `stickiness: ${mismatched} of 36 requests answered elsewhere than their session's replica`);
    checks.ok(owners.size >= 2, `stickiness: new sessions spread over ${owners.size} replicas`);
    report.stickiness = { sessions: 9, replicas_used: owners.size };
  }

  // ---------------------------------------------------------------- uninterrupted references
  const reference = await runDrag(await dragSession(LB));
  checks.ok(reference.end.data.reason === 'max_steps', `reference drag ended ${reference.end.data.reason}`);
  const maskedReference = await runDrag(await dragSession(LB, { mask: true }));

  // ---------------------------------------------------------------- kill -9 mid-drag
  {
    const session = await dragSession(LB);
    let killedAt = 0, killed = null;
    const run = await runDrag(session, async (stream) => {
      const step = await stream.waitFor((e) => e.event === 'step' && e.data.step >= 25, 30000, 'step 25');
      killed = cluster.replica(step.replica);
      killedAt = Date.now();
      await killed.kill9();
      const next = await stream.waitFor((e) => e.event === 'step' && e.at > killedAt, 30000, 'a step after the kill');
      return { next, killed: step.replica };
    });
    checks.ok(run.extra.next.replica && run.extra.next.replica !== run.extra.killed,
      `kill -9: the drag went on on ${run.extra.next.replica} (killed ${run.extra.killed})`);
    report.kill = { killed: run.extra.killed, continued_on: run.extra.next.replica,
      kill_to_next_step_ms: run.extra.next.at - killedAt, ...compareDrags('kill -9', run, reference) };
    await killed.start();  // back, empty, for what follows
  }

  // ---------------------------------------------------------------- SIGSTOP mid-drag, woken later
  {
    const session = await dragSession(LB, { mask: true });
    let frozen = null, frozenAt = 0;
    const run = await runDrag(session, async (stream) => {
      const step = await stream.waitFor((e) => e.event === 'step' && e.data.step >= 20, 30000, 'step 20');
      frozen = cluster.replica(step.replica);
      frozenAt = Date.now();
      frozen.freeze();
      return { next: await stream.waitFor((e) => e.event === 'step' && e.at > frozenAt, 40000, 'a step after the freeze') };
    });
    checks.ok(run.extra.next.replica !== frozen.name, `SIGSTOP: the drag went on on ${run.extra.next.replica}`);
    report.freeze = { frozen: frozen.name, continued_on: run.extra.next.replica,
      freeze_to_next_step_ms: run.extra.next.at - frozenAt, ...compareDrags('SIGSTOP', run, maskedReference) };
    const keys = ['lease', 'epoch', 'doc', 'drag'].map((k) => `dg:{${session.id}}:${k}`);
    const before = keys.map((k) => cluster.redis.cli('GET', k));
    checks.ok(!before[0].startsWith(`${frozen.name}/`), `SIGSTOP: the lease is ${before[0]}`);
    frozen.thaw();
    await sleep(4 * LEASE_MS);  // renewals and the step it was in have had their chance to write
    const after = keys.map((k) => cluster.redis.cli('GET', k));
    checks.ok(after[0] === before[0] && after[1] === before[1], `SIGSTOP: lease/epoch changed after waking: ${before[0]} -> ${after[0]}`);
    checks.ok(after[2] === before[2] && after[3] === before[3], 'SIGSTOP: the woken owner changed the stored session');
    const direct = await api(frozen.url, 'GET', `/api/sessions/${session.id}`);
    checks.ok(direct.status === 421 && direct.body.replica === run.extra.next.replica,
      `SIGSTOP: the woken owner answers ${direct.status} ${JSON.stringify(direct.body).slice(0, 160)}`);
    checks.ok(frozen.output().includes('dropped here'), 'SIGSTOP: the woken owner dropped the session');
  }

  // ---------------------------------------------------------------- two replicas, one session
  {
    const [a, b] = [cluster.replica('r2'), cluster.replica('r3')];
    const session = await dragSession(a.url);
    const t0 = Date.now();
    const other = await api(b.url, 'GET', `/api/sessions/${session.id}`);
    checks.ok(other.status === 421 && other.body.replica === 'r2' && other.body.reason === 'held_elsewhere',
      `two replicas: r3 answers ${other.status} ${JSON.stringify(other.body).slice(0, 200)}`);
    checks.ok(Date.now() - t0 < 3 * LEASE_MS, `two replicas: the 421 took ${Date.now() - t0} ms`);
    const startB = await api(b.url, 'POST', `/api/sessions/${session.id}/start`, DRAG);
    checks.ok(startB.status === 421, `two replicas: start on r3 got ${startB.status} ${startB.error || ''} after ${Math.round(startB.ms)} ms`);
    // Both at once, many times: only r2 ever answers for it.
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      api(i % 2 ? b.url : a.url, 'GET', `/api/sessions/${session.id}`)));
    const served = new Set(answers.filter((r) => r.status === 200).map((r) => r.replica));
    checks.ok(served.size === 1 && served.has('r2'), `two replicas: answered by ${[...served]}`);
    checks.ok(answers.every((r) => r.status === 200 || r.status === 421), `two replicas: statuses ${answers.map((r) => r.status)}`);
    report.two_replicas = { ms_to_421: other.ms };
  }

  // ---------------------------------------------------------------- drain on SIGTERM
  {
    const session = await dragSession(LB);
    let drained = null, termAt = 0, exitCode = null;
    const run = await runDrag(session, async (stream) => {
      const step = await stream.waitFor((e) => e.event === 'step' && e.data.step >= 20, 30000, 'step 20');
      drained = cluster.replica(step.replica);
      termAt = Date.now();
      const exited = drained.process.exited;
      drained.process.signal('SIGTERM');
      // The step in flight may still come from it; the next ones come from the replica that took over.
      const next = await stream.waitFor((e) => e.event === 'step' && e.at > termAt && e.replica !== drained.name, 30000, 'a step elsewhere after SIGTERM');
      exitCode = await Promise.race([exited, sleep(15000).then(() => 'still running')]);
      return { next };
    });
    checks.ok(exitCode === 0, `drain: the replica exited with ${exitCode}`);
    checks.ok(run.extra.next.replica !== drained.name, `drain: went on on ${run.extra.next.replica}`);
    checks.ok(/handed (\d+) of \1 sessions over/.test(drained.output()), 'drain: the replica handed every session over');
    report.drain = { drained: drained.name, term_to_next_step_ms: run.extra.next.at - termAt,
      ...compareDrags('drain', run, reference) };
  }
} catch (e) {
  checks.ok(false, `unexpected: ${e.stack || e}`);
}

console.log(JSON.stringify(report, null, 1));
await cluster.stop();
process.exit(checks.finish());
