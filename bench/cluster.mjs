#!/usr/bin/env node
// The editor cluster's costs (issue 27, docs/cluster.md), each against its baseline measured in the same run:
//   commit   per drag step, the state committed to Redis (encode + fenced write: ms and bytes) against the step
//            itself, on random generators of 256, 512 and 1024 px (`draggan bench --random-config N --store`);
//   failover kill -9 of the replica driving a drag -> the next step event on the page's reconnected stream;
//            SIGTERM (drain) -> the same; 3 replicas, lease 4 s (the default) and 1.5 s;
//   capacity requests/s of a mix of API calls from 16 clients (no drags), and sessions held live at once (each
//            with its page's event stream open), for 3 replicas against 1 with the store, and 1 without it.
//   node bench/cluster.mjs [--binary B] [--model M] [--only commit|failover|capacity] [--json out.json]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  PageStream, Redis, api, binary, freePort, model, option, root, sleep, startCluster,
} from '../tests/cluster/cluster.mjs';

const only = option('--only', null);
const jsonOut = option('--json', null);
const results = { machine: `${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at start` };
const median = (v) => { const s = [...v].sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)] : null; };

if (!only || only === 'commit') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'draggan-bench-'));
  const redis = await new Redis(dir).start();
  results.commit = [];
  for (const resolution of [256, 512, 1024]) {
    const out = execFileSync(binary, ['bench', '--random-config', String(resolution), '--store', redis.url, '--skip-naive',
      '--steps', resolution >= 1024 ? '5' : '10', '--warmup', '2', '--json'], { timeout: 1800000 }).toString();
    const r = JSON.parse(out.trim().split('\n').pop());
    results.commit.push({ resolution, parameters_m: Math.round(r.parameters / 1e5) / 10, threads: r.threads,
      bench_step_ms: Math.round(r.ms_per_step), ...r.commit });
    console.log(JSON.stringify(results.commit.at(-1)));
  }
  await redis.process.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}

async function dragFailover(cluster, how) {
  const LB = cluster.balancer.url;
  const created = await api(LB, 'POST', '/api/sessions', { seed: 5 });
  const id = created.body.id;
  await api(LB, 'POST', `/api/sessions/${id}/points`, { handle: [12, 14], target: [22.5, 9.5] });
  const stream = new PageStream(LB, id);
  await stream.waitFor((e) => e.event === 'state', 15000, 'state', true);
  await api(LB, 'POST', `/api/sessions/${id}/start`, { max_steps: 100000, params: { lr: 0.002, stop_distance: 0 } });
  const step = await stream.waitFor((e) => e.event === 'step' && e.data.step >= 10, 30000, 'step 10');
  const victim = cluster.replica(step.replica);
  const at = Date.now();
  if (how === 'kill') await victim.kill9(); else victim.process.signal('SIGTERM');
  const next = await stream.waitFor((e) => e.event === 'step' && e.at > at, 60000, 'step after');
  const ms = next.at - at;
  await api(LB, 'POST', `/api/sessions/${id}/stop`);
  stream.close();
  await victim.process.exited;
  await victim.start();
  await sleep(2500);  // the balancer sees it up again
  return ms;
}

if (!only || only === 'failover') {
  results.failover = {};
  for (const leaseMs of [4000, 1500]) {
    const cluster = await startCluster(3, { leaseMs });
    const kill = [], drain = [];
    for (let i = 0; i < 3; i++) kill.push(await dragFailover(cluster, 'kill'));
    for (let i = 0; i < 3; i++) drain.push(await dragFailover(cluster, 'drain'));
    results.failover[`lease_${leaseMs}_ms`] = { kill_to_next_step_ms: kill, kill_median_ms: median(kill),
      drain_to_next_step_ms: drain, drain_median_ms: median(drain) };
    console.log(leaseMs, JSON.stringify(results.failover[`lease_${leaseMs}_ms`]));
    await cluster.stop();
  }
}

// 16 clients, each on its own session, for `seconds`: read state, move a point, read the image, add/remove.
async function apiRate(base, seconds = 10, clients = 16) {
  const ids = [];
  for (let i = 0; i < clients; i++) {
    const c = await api(base, 'POST', '/api/sessions', { seed: i });
    ids.push(c.body.id);
    await api(base, 'POST', `/api/sessions/${c.body.id}/points`, { handle: [10, 10], target: [20, 20] });
  }
  const until = Date.now() + seconds * 1000;
  let done = 0, failed = 0;
  const latencies = [];
  await Promise.all(ids.map(async (id, i) => {
    for (let k = 0; Date.now() < until; k++) {
      const kind = k % 4;
      const r = kind === 0 ? await api(base, 'GET', `/api/sessions/${id}`)
        : kind === 1 ? await api(base, 'PATCH', `/api/sessions/${id}/points/1`, { target: [10 + (k % 15), 20] })
          : kind === 2 ? await api(base, 'GET', `/api/sessions/${id}/image.png`)
            : await api(base, 'PATCH', `/api/sessions/${id}`, { params: { lr: 0.001 + (k % 5) * 0.001 } });
      latencies.push(r.ms);
      if (r.status >= 200 && r.status < 300) done++; else failed++;
    }
  }));
  const sorted = latencies.sort((a, b) => a - b);
  return { requests_per_s: Math.round(done / seconds), failed, p50_ms: Math.round(sorted[Math.floor(sorted.length / 2)]),
    p99_ms: Math.round(sorted[Math.floor(sorted.length * 0.99)]) };
}

// Sessions opened one after another, each with its event stream held, until one is refused (or `limit`).
async function liveSessions(base, limit = 400) {
  const streams = [];
  let refused = null;
  for (let i = 0; i < limit && !refused; i++) {
    const c = await api(base, 'POST', '/api/sessions', { seed: i });
    if (c.status !== 201) { refused = `create ${c.status}`; break; }
    const s = new PageStream(base, c.body.id, { retryMs: 60000 });
    streams.push(s);
    await Promise.race([s.waitFor((e) => e.event === 'state', 10000, 'state', true).catch(() => {}), sleep(10000)]);
    const last = s.connects.at(-1);
    if (!last || last.status !== 200) refused = `stream ${last ? last.status : 'none'}`;
  }
  for (const s of streams) s.close();
  return { live: streams.length - (refused && refused.startsWith('stream') ? 1 : 0), refused };
}

if (!only || only === 'capacity') {
  results.capacity = {};
  for (const n of [1, 3]) {
    const cluster = await startCluster(n, { leaseMs: 4000 });
    results.capacity[`store_${n}_replicas`] = { api: await apiRate(cluster.balancer.url), sessions: await liveSessions(cluster.balancer.url) };
    console.log(n, JSON.stringify(results.capacity[`store_${n}_replicas`]));
    await cluster.stop();
  }
  // The baseline: one `draggan serve` without a store, hit directly.
  const { startServer } = await import('../tests/load/lib.mjs');
  const plain = await startServer(binary, model, ['--threads', '1']);
  results.capacity.no_store_1_server = { api: await apiRate(plain.url), sessions: await liveSessions(plain.url) };
  console.log('plain', JSON.stringify(results.capacity.no_store_1_server));
  await plain.stop();
}

console.log(JSON.stringify(results, null, 1));
if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(results, null, 1));
process.exit(0);
