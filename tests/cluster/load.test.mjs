#!/usr/bin/env node
// Issue 27: a load test across three replicas behind HAProxy (shipped model): `--users` pages at once, each
// with its event stream open, placing points, painting a mask, dragging, undoing and redoing, uploading a
// photo, saving; halfway through, one replica is killed (kill -9) and started again. Reports answered
// requests, latency percentiles per kind of request and the peak memory of every replica; fails if any
// session is lost (a 404 for it, or its final state not the one its user built).
//   node tests/cluster/load.test.mjs [--users 12] [--replicas 3] [--no-kill] [--json report.json]
import fs from 'node:fs';
import zlib from 'node:zlib';
import {
  Checks, PageStream, api, deadline, option, sleep, startCluster,
} from './cluster.mjs';

const args = process.argv.slice(2);
const USERS = Number(option('--users', 12));
const REPLICAS = Number(option('--replicas', 3));
const KILL = !args.includes('--no-kill') && REPLICAS > 1;
const JSON_OUT = option('--json', null);
deadline(Number(option('--limit-s', 240)), 'cluster load');
const checks = new Checks('cluster load');

function photoPng() {
  // A smooth 48x48 gray image (node's zlib; the server takes PNG).
  const rows = [];
  for (let y = 0; y < 48; y++) {
    rows.push(0);
    for (let x = 0; x < 48; x++) rows.push(Math.round(128 + 100 * Math.sin(x / 7) * Math.cos(y / 9)));
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(zlib.crc32 ? zlib.crc32(body) : 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(48, 0); ihdr.writeUInt32BE(48, 4); ihdr[8] = 8;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.from(rows))), chunk('IEND', Buffer.alloc(0))]);
}
const photo = photoPng();

const cluster = await startCluster(REPLICAS, { leaseMs: 1500 });
const LB = cluster.balancer.url;
const stats = new Map();  // kind -> {ms: [], statuses: {}}
const peakKb = new Map();
let lost = 0, retried = 0;

function memoryKb(pid) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+)/m);
    return m ? Number(m[1]) : 0;
  } catch (e) { return 0; }
}
function notePeaks() {
  for (const r of cluster.replicas) if (r.process.alive()) peakKb.set(r.name, Math.max(peakKb.get(r.name) || 0, memoryKb(r.pid)));
}

// One request of a user's flow: failover answers (502/503/504 from the balancer, 421 while a session moves,
// a broken connection) are retried as the page would after a reconnect; a 404 for the session means it is lost.
async function call(kind, method, route, body, headers) {
  for (let attempt = 0; ; attempt++) {
    const r = await api(LB, method, route, body, headers);
    if (!stats.has(kind)) stats.set(kind, { ms: [], statuses: {} });
    const s = stats.get(kind);
    s.ms.push(r.ms);
    s.statuses[r.status] = (s.statuses[r.status] || 0) + 1;
    if (r.status === 404 && r.body && /unknown session/.test(r.body.error)) { lost++; throw new Error(`session lost: ${method} ${route}`); }
    const transient = r.status === -1 || r.status === 421 || r.status >= 502 || (r.status === 409 && /running/.test(r.body?.error || ''));
    if (!transient || attempt >= 40) return r;
    retried++;
    await sleep(250);
  }
}

async function user(i) {
  const created = await call('create', 'POST', '/api/sessions', { seed: 100 + i });
  if (!checks.ok(created.status === 201, `user ${i}: create ${created.status}`)) return;
  const id = created.body.id;
  const route = (suffix = '') => `/api/sessions/${id}${suffix}`;
  const stream = new PageStream(LB, id);
  try {
    await call('edit', 'POST', route('/points'), { handle: [10 + (i % 8), 12], target: [20.5, 14.5] });
    await call('edit', 'POST', route('/points'), { handle: [16, 20], target: [9.5, 25.5] });
    const counts = [0];
    for (let y = 0; y < 32; y++) counts.push(20, 12);
    await call('edit', 'PUT', route('/mask'), { format: 'rle', width: 32, height: 32, counts });
    for (let round = 0; round < 2; round++) {
      const done = stream.waitFor((e) => e.event === 'done', 90000, 'drag done');
      const start = await call('start', 'POST', route('/start'), { max_steps: 25 });
      checks.ok(start.status === 202, `user ${i}: start ${start.status} ${JSON.stringify(start.body).slice(0, 120)}`);
      // A drag whose replica died goes on elsewhere; its done event arrives on the reconnected stream.
      await done.catch(async () => {
        const state = await call('read', 'GET', route());
        if (state.body?.running) throw new Error(`user ${i}: drag still running`);
      });
      await call('read', 'GET', route('/image.png'));
      await call('read', 'GET', route());
    }
    await call('edit', 'POST', route('/undo'));
    await call('edit', 'POST', route('/redo'));
    if (i % 3 === 0) {
      const done = stream.waitFor((e) => e.event === 'done' && e.data.task === 'upload', 90000, 'upload done');
      const up = await call('upload', 'POST', route('/upload?steps=4&pti_steps=2'), photo, { 'Content-Type': 'image/png' });
      checks.ok(up.status === 202, `user ${i}: upload ${up.status} ${JSON.stringify(up.body).slice(0, 120)}`);
      await done.catch(() => {});
      // Whatever replica it ended on: not running any more within a bounded time.
      for (let k = 0; k < 120; k++) {
        const s = await call('read', 'GET', route());
        if (s.status === 200 && !s.body.running) break;
        await sleep(500);
      }
    }
    const saved = await call('save', 'GET', route('/session.json'));
    const final = await call('read', 'GET', route());
    const expectedPoints = i % 3 === 0 ? 0 : 2;  // an upload clears the points placed on the old image
    checks.ok(final.status === 200 && final.body.points.length === expectedPoints && final.body.mask &&
      final.body.can_undo && saved.status === 200,
      `user ${i}: final state ${final.status} points ${final.body?.points?.length} mask ${!!final.body?.mask}`);
  } catch (e) {
    checks.ok(false, `user ${i}: ${e.message}`);
  } finally {
    stream.close();
  }
}

const started = performance.now();
const sampler = setInterval(notePeaks, 200);
let killed = null;
const killer = KILL ? (async () => {
  await sleep(4000);
  // The replica with most sessions goes down mid-flight and comes back.
  killed = cluster.replicas[0];
  notePeaks();
  await killed.kill9();
  await sleep(1500);
  await killed.start();
})() : Promise.resolve();
await Promise.all([...Array.from({ length: USERS }, (_, i) => user(i)), killer]);
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
notePeaks();
checks.ok(lost === 0, `${lost} requests found their session gone`);

const pct = (sorted, p) => sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p / 100 * sorted.length))]) : null;
let answered = 0, total = 0;
const kinds = {};
for (const [kind, s] of stats) {
  const sorted = [...s.ms].sort((a, b) => a - b);
  total += sorted.length;
  answered += sorted.length - (s.statuses[-1] || 0);
  kinds[kind] = { requests: sorted.length, statuses: s.statuses, p50_ms: pct(sorted, 50), p90_ms: pct(sorted, 90),
    p99_ms: pct(sorted, 99), max_ms: pct(sorted, 100) };
}
const report = { users: USERS, replicas: REPLICAS, killed: killed?.name ?? null, seconds: Math.round(seconds * 10) / 10,
  requests: total, answered, retried_during_failover: retried, requests_per_second: Math.round(total / seconds * 10) / 10,
  sessions_lost: lost, peak_rss_mb: Object.fromEntries([...peakKb].map(([k, v]) => [k, Math.round(v / 1024)])), kinds };
console.log(JSON.stringify(report, null, 1));
if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify(report, null, 1));
await cluster.stop();
process.exit(checks.finish(` ${total} requests, ${answered} answered, ${lost} sessions lost`));
