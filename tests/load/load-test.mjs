#!/usr/bin/env node
// Load and abuse test of `draggan serve` (issue 12), loopback only, bounded in time and memory, no
// dependencies beyond Node. It starts a server on the shipped model (or --url of a running one), then for
// --duration seconds runs at once:
//   users      a session each with its page's event stream open, placing points, dragging, undoing, masking,
//              changing seeds, uploading a photo; each checks that its session and edits are still there;
//   creators   POST /api/sessions as fast as answers come, some in bursts of 40 parallel requests;
//   streamers  event streams opened on many sessions and held (the server must cap them with 429);
//   trickle    connections sending request bodies a byte at a time (the server must cut them off);
//   hostile    cross-origin and foreign-Host requests, CORS-simple bodies, a 16000x16000 PNG, a PNG bomb,
//              a session file with 100 000 points and psi 1e300: every one must be refused;
//   probe      GET /api/models and the page every 200 ms: each must answer within a second.
// It reports answered requests, latency percentiles and peak RSS (VmHWM of the server process), and exits 1
// if a user's session was lost, a hostile request got through, the probe waited a second, or the peak RSS
// passed --rss-limit-mb.
//
//   node tests/load/load-test.mjs                 # 60 s, the full mix (about 2 minutes in all)
//   node tests/load/load-test.mjs --short         # 15 s, what ctest runs
//   node tests/load/load-test.mjs --json report.json --binary build/src/tools/draggan --model models/default.safetensors
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, bombPng, hugeHeaderPng, memoryKb, photoPng, sleep, startServer } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const short = args.includes('--short');
const config = {
  binary: option('--binary', process.env.DRAGGAN_BINARY || path.join(root, 'build', 'src', 'tools', 'draggan')),
  model: option('--model', path.join(root, 'models', 'default.safetensors')),
  url: option('--url', null),
  duration: Number(option('--duration', short ? 15 : 60)) * 1000,
  users: Number(option('--users', short ? 2 : 4)),
  creators: Number(option('--creators', short ? 2 : 4)),
  streams: Number(option('--streams', short ? 80 : 120)),
  trickle: Number(option('--trickle', short ? 30 : 60)),
  rssLimitMb: Number(option('--rss-limit-mb', 600)),
  probeLimitMs: Number(option('--probe-limit-ms', 1000)),
  json: option('--json', null),
};

const failures = [];
const fail = (what) => { if (failures.length < 200) failures.push(what); };

const photo = photoPng();
const hugePng = hugeHeaderPng(16000, 16000);
const bomb = bombPng(32, 32);

let client;
const request = (...args) => client.request(...args);
const openStream = (...args) => client.openStream(...args);

// ------------------------------------------------------------------ actors

let running = true;
const userSessions = [];

async function user(index) {
  let created;
  for (let tries = 0; tries < 200 && running; tries++) {
    created = await request('user', 'POST', '/api/sessions', { body: { seed: index } });
    if (created.status === 201) break;
    await sleep(100);
  }
  if (!created || created.status !== 201) { fail(`user ${index}: could not create a session (${created && created.status})`); return; }
  const id = created.body.id;
  const at = (s = '') => `/api/sessions/${id}${s}`;
  const me = { id, points: 0, streamLost: false };
  userSessions.push(me);
  const stream = await openStream('user-stream', at('/events'));
  if (stream.status !== 200) fail(`user ${index}: its event stream was refused (${stream.status})`);
  const check = (r, what, ok = [200, 201, 202]) => {
    if (r.status === 404) fail(`user ${index}: session lost at ${what}`);
    else if (!ok.includes(r.status)) fail(`user ${index}: ${what} answered ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    return r;
  };
  const waitIdle = async () => {
    for (let i = 0; i < 600; i++) {  // the drag or upload running now, even as the test ends
      const r = check(await request('user', 'GET', at()), 'state');
      if (r.status !== 200 || !r.body.running) return r;
      await sleep(100);
    }
    return null;
  };
  let round = 0;
  while (running) {
    round++;
    check(await request('user', 'DELETE', at('/points')), 'clear points');
    check(await request('user', 'POST', at('/points'), { body: { handle: [10, 16], target: [18, 16] } }), 'add point');
    me.points = 1;
    check(await request('user', 'POST', at('/start'), { body: { max_steps: 10 } }), 'start');
    await waitIdle();
    if (round % 2) check(await request('user', 'POST', at('/undo')), 'undo', [200, 409]);
    check(await request('user', 'PUT', at('/mask'), { body: { format: 'rle', width: 32, height: 32, counts: [100, 300, 624] } }), 'mask');
    check(await request('user', 'PATCH', at(), { body: { seed: (index * 1000 + round) % 5000 } }), 'seed');
    if (round % 3 === 1) {
      const upload = check(await request('user', 'POST', at('/upload?steps=10&pti_steps=5&name=photo.png'),
        { body: photo, type: 'image/png' }), 'upload', [202, 503]);
      const after = await waitIdle();
      // A finished upload clears the points (they were placed on the old image).
      if (upload.status === 202 && after && after.body.upload && after.body.upload.reason !== 'error') me.points = 0;
    }
    const saved = check(await request('user', 'GET', at('/session.json')), 'session.json');
    if (saved.status === 200 && (!saved.body.points || saved.body.points.length !== me.points))
      fail(`user ${index}: session.json has ${saved.body.points && saved.body.points.length} points, expected ${me.points}`);
    if (stream.ended && running) { me.streamLost = true; fail(`user ${index}: the server ended the page's event stream`); break; }
  }
  me.stream = stream;
}

async function creator() {
  let round = 0;
  while (running) {
    round++;
    if (round % 10 === 0) {
      await Promise.all(Array.from({ length: 40 }, () => request('create-burst', 'POST', '/api/sessions', { body: {}, fresh: true })));
    } else {
      const r = await request('create', 'POST', '/api/sessions', { body: {} });
      if (r.status === 503) await sleep(50);
    }
  }
}

const heldStreams = [];
async function streamer() {
  for (let i = 0; i < config.streams && running; i++) {
    const created = await request('stream-session', 'POST', '/api/sessions', { body: {} });
    const target = created.status === 201 ? created.body.id : (userSessions[i % Math.max(1, userSessions.length)] || {}).id;
    if (!target) { await sleep(100); continue; }
    heldStreams.push(await openStream('stream', `/api/sessions/${target}/events`));
  }
}

const trickling = [];
function trickle() {
  const url = new URL(client.base);
  for (let i = 0; i < config.trickle; i++) {
    const socket = net.connect(Number(url.port), url.hostname);
    socket.on('error', () => {});
    socket.write(`POST /api/sessions HTTP/1.1\r\nHost: ${client.host}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`);
    const timer = setInterval(() => { if (!socket.destroyed) socket.write(' '); }, 1000);
    trickling.push({ socket, timer, closedByServer: false });
    socket.on('close', () => { trickling[i].closedByServer = running; });
  }
}

async function hostile() {
  const expectRefused = (r, what) => {
    if (r.status >= 200 && r.status < 300) fail(`hostile: ${what} was accepted (${r.status})`);
    else if (r.status === 500 || r.status === -1) fail(`hostile: ${what} answered ${r.status}`);
  };
  const own = await request('hostile', 'POST', '/api/sessions', { body: {} });
  const id = own.status === 201 ? own.body.id : null;
  while (running) {
    expectRefused(await request('hostile', 'POST', '/api/sessions', { body: {}, headers: { Origin: 'http://evil.example' } }), 'cross-origin POST');
    expectRefused(await request('hostile', 'POST', '/api/sessions', { body: '{}', type: 'text/plain' }), 'text/plain POST');
    expectRefused(await request('hostile', 'POST', '/api/sessions', { body: '{}', headers: { Host: 'evil.example' } }), 'foreign Host');
    expectRefused(await request('hostile', 'GET', '/api/models', { headers: { Host: 'rebind.evil.example:80' } }), 'foreign Host GET');
    if (id) {
      const at = (s) => `/api/sessions/${id}${s}`;
      expectRefused(await request('hostile', 'POST', at('/points'), { body: 'handle=1,2', type: 'application/x-www-form-urlencoded' }), 'form POST');
      expectRefused(await request('hostile', 'POST', at('/upload'), { body: hugePng, type: 'image/png' }), '16000x16000 upload');
      expectRefused(await request('hostile', 'PUT', at('/mask'), { body: hugePng, type: 'image/png' }), '16000x16000 mask');
      expectRefused(await request('hostile', 'PUT', at('/mask'), { body: bomb, type: 'image/png' }), 'PNG bomb mask');
      const saved = await request('hostile', 'GET', at('/session.json'));
      if (saved.status === 200) {
        const many = { ...saved.body, points: Array.from({ length: 100000 }, () => ({ handle: [1, 1], target: null })) };
        expectRefused(await request('hostile', 'POST', at('/load'), { body: many }), 'load of 100000 points');
        expectRefused(await request('hostile', 'POST', at('/load'), { body: { ...saved.body, psi: 1e300 } }), 'load of psi 1e300');
        const reset = await request('hostile', 'POST', at('/reset'));
        if (reset.status === 500) fail('hostile: reset after a refused load answered 500');
      }
    }
    await sleep(200);
  }
}

const probeLatencies = [];
async function probe() {
  while (running) {
    for (const route of ['/api/models', '/']) {
      const r = await request('probe', 'GET', route, { fresh: true, raw: route === '/' });
      probeLatencies.push(r.ms);
      if (r.status !== 200) fail(`probe: GET ${route} answered ${r.status}`);
      else if (r.ms > config.probeLimitMs) fail(`probe: GET ${route} took ${Math.round(r.ms)} ms`);
    }
    await sleep(200);
  }
}

// ------------------------------------------------------------------ run

const server = config.url
  ? { url: config.url, pid: Number(option('--pid', 0)), stop: async () => {}, alive: () => true }
  : await startServer(config.binary, config.model);
client = new Client(server.url);
console.log(`load test: ${server.url}, ${config.duration / 1000} s, ${config.users} users, ${config.creators} creators, ` +
            `${config.streams} streams, ${config.trickle} trickling bodies`);
let peakRss = 0;
const sampler = setInterval(() => { peakRss = Math.max(peakRss, memoryKb(server.pid, 'VmRSS')); }, 250);
const started = performance.now();
const actors = [probe(), hostile(), streamer()];
for (let i = 0; i < config.users; i++) actors.push(user(i));
for (let i = 0; i < config.creators; i++) actors.push(creator());
trickle();
await sleep(config.duration);
running = false;
await Promise.all(actors);

// Every user's session is still there, with its points; every trickling body was cut off by the server.
for (const me of userSessions) {
  const r = await request('final', 'GET', `/api/sessions/${me.id}`);
  if (r.status !== 200) fail(`user session ${me.id} lost at the end (${r.status})`);
  else if (r.body.points.length !== me.points) fail(`user session ${me.id} has ${r.body.points.length} points, expected ${me.points}`);
  if (me.stream && me.stream.ended) fail(`user session ${me.id}: its page's stream was ended by the server`);
}
if (userSessions.length < config.users) fail(`only ${userSessions.length} of ${config.users} users got a session`);
const cut = trickling.filter((t) => t.closedByServer).length;
if (config.duration >= 35000 && cut < trickling.length) fail(`${trickling.length - cut} trickling bodies were never cut off`);
const streamStatuses = {};
for (const s of heldStreams) streamStatuses[s.status] = (streamStatuses[s.status] || 0) + 1;
if (heldStreams.length >= 70 && !streamStatuses[429]) fail('the server never capped the event streams (no 429)');
const status = await request('final', 'GET', '/api/status');

const hwmKb = memoryKb(server.pid, 'VmHWM');
peakRss = Math.max(peakRss, hwmKb);
for (const s of heldStreams) s.close();
for (const t of trickling) { clearInterval(t.timer); t.socket.destroy(); }
clearInterval(sampler);
client.close();
const alive = server.alive();
if (!alive) fail('the server died');
await server.stop();

const report = {
  seconds: Math.round((performance.now() - started) / 100) / 10,
  peak_rss_mb: Math.round(peakRss / 102.4) / 10,
  rss_limit_mb: config.rssLimitMb,
  server_status: status.body,
  event_streams: streamStatuses,
  trickling_bodies_cut: `${cut}/${trickling.length}`,
  categories: {},
  failures,
};
const { categories, answered } = client.summary();
report.categories = categories;
report.answered_requests = answered;
if (hwmKb > 0 && peakRss / 1024 > config.rssLimitMb) failures.push(`peak RSS ${report.peak_rss_mb} MB > ${config.rssLimitMb} MB`);

console.log(`answered ${answered} requests in ${report.seconds} s; peak RSS ${report.peak_rss_mb} MB`);
for (const [category, c] of Object.entries(report.categories))
  console.log(`  ${category.padEnd(14)} ${String(c.requests).padStart(6)} req  p50 ${c.p50_ms} ms  p90 ${c.p90_ms} ms  ` +
              `p99 ${c.p99_ms} ms  max ${c.max_ms} ms  ${JSON.stringify(c.statuses)}`);
console.log(`  event streams ${JSON.stringify(streamStatuses)}; trickling bodies cut off: ${report.trickling_bodies_cut}`);
if (config.json) fs.writeFileSync(config.json, JSON.stringify(report, null, 2));
if (failures.length) {
  console.log(`FAILED (${failures.length}):\n  ` + failures.slice(0, 40).join('\n  '));
  process.exit(1);
}
console.log('PASSED');
process.exit(0);
