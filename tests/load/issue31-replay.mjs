#!/usr/bin/env node
// Every finding of issue 31 ("the editor server, second round"), replayed against `draggan serve` on the
// shipped model, each followed by the check that it is fixed: honest requests answered during the attack,
// memory within a stated bound and given back, a clean exit on a signal with nothing left behind. Loopback
// only; every server it starts is stopped by pid. Exits 1 naming what failed.
//   node tests/load/issue31-replay.mjs                 # scaled down (what ctest runs, ~2 minutes)
//   node tests/load/issue31-replay.mjs --full          # the scales and the server's default options
//   node tests/load/issue31-replay.mjs --full --measure-only --json before.json --binary OLD/draggan
//        # figures without checks (a build from before the fix) for bench/README-style comparisons
// Options: --binary B --model M --only 1,3,7 (findings to run) --json FILE (figures).
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, grayPng, memoryKb, photoPng, sleep, startServer } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const binary = option('--binary', process.env.DRAGGAN_BINARY || path.join(root, 'build', 'src', 'tools', 'draggan'));
const model = option('--model', path.join(root, 'models', 'default.safetensors'));
const full = args.includes('--full');
const measureOnly = args.includes('--measure-only');
const only = option('--only', null)?.split(',').map(Number);
const runs = (n) => !only || only.includes(n);
const scale = (short, long) => (full ? long : short);

const failures = [];
const figures = {};
const check = (ok, what) => {
  if (measureOnly) return console.log(`     ${what}`);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};
const mb = (kb) => Math.round(kb / 1024);
const rssMb = (pid) => mb(memoryKb(pid, 'VmRSS'));

// Peak resident memory while `fn` runs (sampled every 100 ms; VmHWM cannot be reset).
async function withPeakRss(pid, fn) {
  let peak = rssMb(pid);
  const timer = setInterval(() => { peak = Math.max(peak, rssMb(pid)); }, 100);
  try {
    const result = await fn();
    return { result, peak };
  } finally {
    clearInterval(timer);
  }
}

// Resident memory once it has settled (freed memory is returned within a second or two).
async function settledRss(pid, ms = 2500) {
  await sleep(ms);
  return rssMb(pid);
}

// An honest client while an attack runs: a fresh connection per request (a new visitor), `gapMs` apart.
async function honestRequests(url, durationMs, gapMs = 200) {
  const c = new Client(url);
  const routes = ['/api/models', '/app.js', '/api/status', '/'];
  const statuses = {};
  let answered = 0, sent = 0, slowest = 0;
  for (const end = Date.now() + durationMs; Date.now() < end; sent++) {
    const r = await c.request('honest', 'GET', routes[sent % routes.length], { fresh: true, raw: true });
    statuses[r.status] = (statuses[r.status] || 0) + 1;
    if (r.status === 200) answered++;
    slowest = Math.max(slowest, r.ms);
    await sleep(gapMs);
  }
  c.close();
  return { sent, answered, statuses, slowest_ms: Math.round(slowest) };
}

// Connections that each live `holdMs` (silent, or sending a header byte every 400 ms) and are replaced at
// once when they end, whether they closed or the server did.
function reconnectFlood(port, count, holdMs, slowloris) {
  let running = true, connects = 0;
  const sockets = new Set();
  const open = () => {
    if (!running) return;
    const s = net.connect(port, '127.0.0.1');
    connects++;
    sockets.add(s);
    let trickle;
    s.on('connect', () => {
      if (!slowloris) return;
      s.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
      trickle = setInterval(() => s.write('X'), 400);
    });
    s.on('error', () => {});
    s.on('data', () => {});
    const timer = setTimeout(() => s.destroy(), holdMs);
    s.on('close', () => {
      clearTimeout(timer);
      clearInterval(trickle);
      sockets.delete(s);
      setImmediate(open);
    });
  };
  for (let i = 0; i < count; i++) open();
  return {
    connects: () => connects,
    stop: () => { running = false; for (const s of sockets) s.destroy(); },
  };
}

// Connections that pipeline `requests` GETs of the page's script and then read one chunk every 2 s.
function slowReaders(port, count, requests) {
  const sockets = [];
  const request = `GET /app.js HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`.repeat(requests);
  let connects = 0;
  for (let i = 0; i < count; i++) {
    const s = net.connect(port, '127.0.0.1', () => { s.write(request); });
    connects++;
    s.on('error', () => {});
    s.pause();
    sockets.push(s);
  }
  const timer = setInterval(() => {
    for (const s of sockets) {
      s.once('data', () => s.pause());
      s.resume();
    }
  }, 2000);
  return { connects: () => connects, stop: () => { clearInterval(timer); for (const s of sockets) s.destroy(); } };
}

// An event stream read slowly: one chunk every 2 s.
function slowStream(port, route) {
  const s = net.connect(port, '127.0.0.1', () => s.write(`GET ${route} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
  s.on('error', () => {});
  s.pause();
  const timer = setInterval(() => { s.once('data', () => s.pause()); s.resume(); }, 2000);
  return { stop: () => { clearInterval(timer); s.destroy(); } };
}

// Everything a raw request gets back until the server closes the connection (or `ms` pass).
function rawExchange(port, text, ms = 3000) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    let got = '';
    let timedOut = false;
    s.on('data', (d) => { got += d.toString('latin1'); });
    s.on('error', () => {});
    const timer = setTimeout(() => { timedOut = true; s.destroy(); }, ms);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ answers: (got.match(/^HTTP\/1\.1 \d{3}/gm) || []).map((a) => Number(a.slice(9))), closed: !timedOut, text: got });
    });
  });
}

// A width x height one-component progressive JPEG that repeats an empty DC scan `scans` times.
function scanFloodJpeg(width, height, scans) {
  const parts = [Buffer.from([0xff, 0xd8])];
  parts.push(Buffer.from([0xff, 0xdb, 0x00, 0x43, 0x00]), Buffer.alloc(64, 1));
  parts.push(Buffer.from([0xff, 0xc2, 0x00, 0x0b, 0x08, height >> 8, height & 255, width >> 8, width & 255, 0x01, 0x01, 0x11, 0x00]));
  parts.push(Buffer.from([0xff, 0xc4, 0x00, 0x14, 0x00, 0x01, ...Array(15).fill(0), 0x00]));
  const scan = Buffer.from([0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00]);
  for (let i = 0; i < scans; i++) parts.push(scan);
  parts.push(Buffer.from([0xff, 0xd9]));
  return Buffer.concat(parts);
}

// A Radiance HDR header declaring width x height with `bytes` of pixel data (far too few).
const truncatedHdr = (width, height, bytes) =>
  Buffer.concat([Buffer.from(`#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y ${height} +X ${width}\n`), Buffer.alloc(bytes, 2)]);

// A 24-bit BMP of width x height whose pixel rows stop after `keep` of the bytes they need.
function bmp(width, height, keep = 1) {
  const row = Math.ceil((width * 3) / 4) * 4;
  const size = row * height;
  const header = Buffer.alloc(54);
  header.write('BM', 0);
  header.writeUInt32LE(54 + size, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(width, 18);
  header.writeInt32LE(height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  header.writeUInt32LE(size, 34);
  const pixels = Buffer.alloc(Math.floor(size * keep));
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) & 255;
  return Buffer.concat([header, pixels]);
}

// The shipped model's generator weights as a session file's "generator" (what a tuned session carries).
function modelWeightsAsSessionGenerator(file) {
  const bytes = fs.readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString());
  const generator = {};
  for (const [name, t] of Object.entries(header)) {
    if (!name.startsWith('G_ema.') || t.dtype !== 'F32') continue;
    const data = bytes.subarray(8 + headerLength + t.data_offsets[0], 8 + headerLength + t.data_offsets[1]);
    generator[name.slice('G_ema.'.length)] = { dtype: 'float32', shape: t.shape, data: data.toString('base64') };
  }
  return generator;
}

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'draggan-issue31-'));
const servers = [];
async function serve(extra) {
  const s = await startServer(binary, model, ['--state-dir', stateDir, ...extra]);
  servers.push(s);
  return s;
}
const cleanup = async () => {
  for (const s of servers) if (s.alive()) await s.stop();
  fs.rmSync(stateDir, { recursive: true, force: true });
};
process.on('uncaughtException', async (e) => { console.error(e); await cleanup(); process.exit(2); });

try {
  // The main server: the default options in --full; in the short run a smaller connection cap (the attacks
  // scale with it) and a small session budget (finding 4).
  const server = await serve(full ? ['--session-memory-mb', '16']
    : ['--max-connections', '64', '--session-memory-mb', '16', '--max-sessions', '4', '--session-idle', '1']);
  const port = Number(new URL(server.url).port);
  const c = new Client(server.url);
  const json = (method, route, body, extra = {}) => c.request('replay', method, route, { body, ...extra });
  const maxConnections = full ? 256 : 64;

  // 1. Reconnecting clients (idle, then slowloris) hold every slot.
  if (runs(1)) {
    // The floods (270 and 500 idle, 300 slowloris against 256 slots), or the same ratios to fewer slots.
    const floods = full ? [[270, false], [500, false], [300, true]] : [[Math.round(maxConnections * 1.25), false], [Math.round(maxConnections * 1.25), true]];
    for (const [count, slowloris] of floods) {
      const name = `${slowloris ? 'slowloris' : 'idle'}_${count}`;
      const flood = reconnectFlood(port, count, 1500, slowloris);
      await sleep(1000);
      const started = Date.now();
      const honest = await honestRequests(server.url, scale(6000, 15000));
      const rate = Math.round(flood.connects() / ((Date.now() - started + 1000) / 1000));
      flood.stop();
      figures[`1_${name}`] = { connections: count, connects_per_s: rate, ...honest };
      check(honest.answered === honest.sent,
        `1. ${count} ${slowloris ? "slowloris" : "idle"} connections reconnecting (~${rate}/s): ${honest.answered} of ${honest.sent} honest requests answered (${JSON.stringify(honest.statuses)}, slowest ${honest.slowest_ms} ms)`);
      await sleep(500);
    }
  }

  // 2. Slow readers hold their slots while their answers trickle out.
  if (runs(2)) {
    const count = full ? 300 : Math.round(maxConnections * 1.25);
    const readers = slowReaders(port, count, full ? 400 : 100);
    await sleep(3000);
    const honest = await honestRequests(server.url, scale(6000, 15000));
    readers.stop();
    figures['2_slow_readers'] = { connections: count, ...honest };
    check(honest.answered === honest.sent,
      `2. ${count} slow readers pipelining GET /app.js: ${honest.answered} of ${honest.sent} honest requests answered (${JSON.stringify(honest.statuses)}, slowest ${honest.slowest_ms} ms)`);
    await sleep(500);
  }

  // 3. Event backlog: 4 slow streams on a session whose state changes ~hundreds of times a second.
  if (runs(3)) {
    const s = (await json('POST', '/api/sessions', {})).body;
    const at = (x = '') => `/api/sessions/${s.id}${x}`;
    for (let i = 0; i < 64; i++) await json('POST', at('/points'), { handle: [i % 32, (i >> 5) * 8], target: [(i + 3) % 32, 20] });
    const counts = Array(1024).fill(1);  // alternating pixels
    await json('PUT', at('/mask'), { format: 'rle', width: 32, height: 32, counts: [0, ...counts.slice(1)] });
    const state = await json('GET', at());
    const before = rssMb(server.pid);
    const streams = Array.from({ length: 4 }, () => slowStream(port, at('/events')));
    await sleep(500);
    let patches = 0, patchFailures = 0;
    const duration = scale(10000, 32000);
    const { peak } = await withPeakRss(server.pid, async () => {
      const end = Date.now() + duration;
      await Promise.all(Array.from({ length: 6 }, async (_, t) => {
        for (let i = 0; Date.now() < end; i++) {
          const r = await json('PATCH', at(`/points/${1 + ((i * 6 + t) % 64)}`), { handle: [i % 32, t] });
          if (r.status === 200) patches++; else patchFailures++;
        }
      }));
    });
    for (const st of streams) st.stop();
    const after = await settledRss(server.pid);
    figures['3_event_backlog'] = { state_event_bytes: JSON.stringify(state.body).length, patches_per_s: Math.round(patches / (duration / 1000)),
      rss_before_mb: before, rss_peak_mb: peak, rss_after_mb: after };
    check(patchFailures === 0 && peak - before < 64,
      `3. ${patches} PATCHes (${figures['3_event_backlog'].patches_per_s}/s, ${JSON.stringify(state.body).length}-byte states) to 4 slow streams: RSS ${before} -> peak ${peak} MB (< +64 MB), ${patchFailures} failed`);
    check(after - before < 32, `3. after the streams close: RSS ${after} MB (< ${before} + 32 MB)`);
  }

  // 4. Undo history: each load of a session file carrying the model's weights kept another copy of them.
  if (runs(4)) {
    const s = (await json('POST', '/api/sessions', {})).body;
    const at = (x = '') => `/api/sessions/${s.id}${x}`;
    const saved = (await json('GET', at('/session.json'))).body;
    const file = { ...saved, generator: modelWeightsAsSessionGenerator(model) };
    const loads = scale(20, 55);
    const statuses = {};
    for (let i = 0; i < loads; i++) {
      const r = await json('POST', at('/load'), file);
      statuses[r.status] = (statuses[r.status] || 0) + 1;
    }
    const status = (await json('GET', '/api/status')).body;
    const fresh = [];
    for (let i = 0; i < 2; i++) fresh.push(await json('POST', '/api/sessions', {}));
    figures['4_undo_budget'] = { loads, statuses, memory_bytes: status.sessions.memory_bytes, in_memory: status.sessions.in_memory,
      new_sessions: fresh.map((r) => r.status) };
    check(statuses[200] === loads, `4. ${loads} loads of a session file with the model's own weights answered 200 (${JSON.stringify(statuses)})`);
    check(status.sessions.memory_bytes <= 16 << 20,
      `4. sessions in memory estimated at ${(status.sessions.memory_bytes / 1048576).toFixed(1)} MB (<= --session-memory-mb 16)`);
    check(fresh.every((r) => r.status === 201), `4. new sessions are still created (${fresh.map((r) => r.status)})`);
  }

  // 5. Decode work: a 30 kB JPEG of 3000 empty scans; truncated images declaring large sizes.
  if (runs(5)) {
    const s = (await json('POST', '/api/sessions', {})).body;
    const honestSession = (await json('POST', '/api/sessions', {})).body;
    const up = (id, body, type) => c.request('upload', 'POST', `/api/sessions/${id}/upload?steps=1&pti_steps=0`, { body, type, fresh: true });
    const flood = scanFloodJpeg(4096, 4096, full ? 3000 : 1000);
    const first = await up(s.id, flood, 'image/jpeg');
    check(first.status === 400 && first.ms < 1000,
      `5. a ${flood.length}-byte 4096x4096 JPEG of ${full ? 3000 : 1000} scans is refused at once (${first.status} in ${Math.round(first.ms)} ms: ${first.body?.error})`);
    const attacks = Array.from({ length: 4 }, () => up(s.id, flood, 'image/jpeg'));
    await sleep(50);
    const honest = await up(honestSession.id, photoPng(), 'image/png');
    await Promise.all(attacks);
    check(honest.status === 202 && honest.ms < 3000, `5. an honest upload beside 4 of them is accepted (${honest.status} in ${Math.round(honest.ms)} ms)`);
    for (let i = 0; i < 100 && (await json('GET', `/api/sessions/${honestSession.id}`)).body?.running; i++) await sleep(100);
    const allowed = scanFloodJpeg(4096, 4096, 64);
    const edge = await up(s.id, allowed, 'image/jpeg');
    const before = memoryKb(server.pid, 'VmHWM');
    const hdr = await up(s.id, truncatedHdr(4096, 4096, 100), 'image/vnd.radiance');
    const bigBmp = await up(s.id, bmp(4096, 4096, 0.0001), 'image/bmp');
    const halfBmp = await up(s.id, bmp(64, 64, 0.5), 'image/bmp');
    const grew = mb(memoryKb(server.pid, 'VmHWM') - before);
    figures['5_decode'] = { flood_bytes: flood.length, flood_ms: Math.round(first.ms), honest_upload_ms: Math.round(honest.ms),
      jpeg_64_scans_ms: Math.round(edge.ms), jpeg_64_scans_status: edge.status, truncated_hdr_ms: Math.round(hdr.ms), peak_growth_mb: grew };
    check(edge.ms < 3000, `5. a 4096x4096 JPEG of 64 scans (the most allowed) takes ${Math.round(edge.ms)} ms (${edge.status})`);
    check(hdr.status === 400 && hdr.ms < 1000, `5. a ${truncatedHdr(4096, 4096, 100).length}-byte HDR declaring 4096x4096 is refused at once (${hdr.status}: ${hdr.body?.error})`);
    check(bigBmp.status === 400 && halfBmp.status === 400, `5. truncated BMPs are refused (${bigBmp.status}, ${halfBmp.status}: ${halfBmp.body?.error})`);
    check(grew < 100, `5. peak memory grew ${grew} MB (< 100)`);
    const wholeBmp = await up(honestSession.id, bmp(64, 64), 'image/bmp');
    check(wholeBmp.status === 202, `5. a whole 64x64 BMP is still accepted (${wholeBmp.status} ${wholeBmp.body?.error ?? ''})`);
    for (let i = 0; i < 100 && (await json('GET', `/api/sessions/${honestSession.id}`)).body?.running; i++) await sleep(100);
  }

  // 6. Memory kept after refused bodies: 3 loads of 64 MB JSON made of millions of short strings, at once.
  if (runs(6)) {
    const s = (await json('POST', '/api/sessions', {})).body;
    const at = (x = '') => `/api/sessions/${s.id}${x}`;
    const size = (64 << 20) - 4096;
    const body = '{"points": [' + '"a",'.repeat(Math.floor((size - 20) / 4)) + '"a"]}';
    const before = await settledRss(server.pid, 500);
    const rounds = scale(1, 4);
    let statuses = [];
    const { peak } = await withPeakRss(server.pid, async () => {
      for (let round = 0; round < rounds; round++)
        statuses = statuses.concat((await Promise.all([0, 1, 2].map(() => json('POST', at('/load'), body)))).map((r) => r.status));
    });
    const after = await settledRss(server.pid);
    figures['6_refused_bodies'] = { body_mb: 64, concurrent: 3, rounds, statuses, rss_before_mb: before, rss_peak_mb: peak, rss_after_mb: after };
    check(statuses.every((st) => st === 400 || st === 503), `6. ${statuses.length} loads of 64 MB of short strings refused (${statuses})`);
    check(peak - before < 400, `6. peak RSS ${before} -> ${peak} MB (< +400 MB: the bodies, not their documents)`);
    check(after - before < 48, `6. RSS ${after} MB once they are refused (< ${before} + 48 MB)`);
  }

  // 8. Framing a proxy in front would read differently.
  if (runs(8)) {
    const host = `Host: 127.0.0.1:${port}\r\n`;
    const next = `GET /api/models HTTP/1.1\r\n${host}\r\n`;
    const cases = [
      ['GET with a Content-Length body', `GET /api/models HTTP/1.1\r\n${host}Content-Length: ${next.length}\r\n\r\n${next}`, [400]],
      ['GET with a chunked body', `GET /api/models HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\n\r\n${next.length.toString(16)}\r\n${next}\r\n0\r\n\r\n`, [400]],
      ['OPTIONS with a body', `OPTIONS /api/models HTTP/1.1\r\n${host}Content-Length: ${next.length}\r\n\r\n${next}`, [400]],
      ['duplicate Content-Length (31, 5)', `POST /api/sessions HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 31\r\nContent-Length: 5\r\n\r\n{}   ${next}`, [400]],
      ['duplicate Host', `GET /api/models HTTP/1.1\r\n${host}${host}\r\n`, [400]],
      ['duplicate Origin', `GET /api/models HTTP/1.1\r\n${host}Origin: http://127.0.0.1:${port}\r\nOrigin: http://evil.example\r\n\r\n`, [400]],
      ['duplicate Content-Type', `POST /api/sessions HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}`, [400]],
      ['an empty Origin', `POST /api/sessions HTTP/1.1\r\n${host}Origin: \r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`, [403]],
      ['a malformed request line', `GET /api/models HTTP/1.1 extra words\r\n${host}\r\n${next}${next}`, [400]],
    ];
    for (const [what, text, want] of cases) {
      const r = await rawExchange(port, text);
      check(r.answers.length === want.length && r.answers.every((a, i) => a === want[i]) && r.closed,
        `8. ${what}: answered ${JSON.stringify(r.answers)} then ${r.closed ? 'closed' : 'kept open'} (want ${JSON.stringify(want)}, closed)`);
    }
  }

  // 9. The mask route's JSON limit, content types without case, log lines for refusals.
  if (runs(9)) {
    const s = (await json('POST', '/api/sessions', {})).body;
    const at = (x = '') => `/api/sessions/${s.id}${x}`;
    const bigMask = { format: 'rle', width: 32, height: 32, counts: [1024], pad: 'x'.repeat(1650000) };
    const r1 = await json('PUT', at('/mask'), bigMask);
    check(r1.status === 413, `9. a 1.65 MB JSON mask is refused like every JSON body over 1 MB (${r1.status})`);
    const maskRows = [];
    for (let y = 0; y < 32; y++) { maskRows.push(0); for (let x = 0; x < 32; x++) maskRows.push(x < 16 ? 255 : 0); }
    const r2 = await c.request('replay', 'PUT', at('/mask'), { body: grayPng(32, 32, Buffer.from(maskRows)), type: 'Image/PNG' });
    check(r2.status === 200, `9. a PNG mask sent as "Image/PNG" is read as an image (${r2.status} ${r2.body?.error ?? ''})`);
  }

  // 7. Ctrl-C / SIGTERM: with a drag running, a page's stream open and sessions on disk.
  if (runs(7)) {
    const spill = path.join(stateDir, `spill-${server.pid}`);
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push((await json('POST', '/api/sessions', {})).body?.id);
    const dragging = (await json('POST', '/api/sessions', {})).body;
    const at = (x = '') => `/api/sessions/${dragging.id}${x}`;
    await json('POST', at('/points'), { handle: [10, 16], target: [30, 16] });
    const page = await c.openStream('page', at('/events'));
    await json('POST', at('/start'), { max_steps: 100000, params: { stop_distance: 0 } });
    await sleep(1000);
    const running = (await json('GET', at())).body?.running;
    const spilled = fs.existsSync(spill) ? fs.readdirSync(spill).length : 0;
    c.close();
    const started = Date.now();
    server.signal('SIGTERM');
    const exit = await Promise.race([server.exited, sleep(20000).then(() => ({ code: 'timeout' }))]);
    const seconds = (Date.now() - started) / 1000;
    figures['7_shutdown'] = { drag_running: running, spilled_files: spilled, exit, seconds, spill_left: fs.existsSync(spill) };
    check(exit.code === 0 && seconds < 12,
      `7. SIGTERM with a drag running (${running}), a stream open and ${spilled} sessions on disk: exit ${JSON.stringify(exit)} in ${seconds.toFixed(1)} s`);
    check(!fs.existsSync(spill), `7. the spill folder ${spill} is removed`);
    check(page.ended, '7. the page\'s event stream was ended');
    check(/shut down cleanly/.test(server.output()), '7. the log says it shut down cleanly');
  }
  if (server.alive()) await server.stop();

  // 9, 7. A server whose every slot is a healthy event stream refuses a flood of connections with a few log
  // lines; a second Ctrl-C during the shutdown's grace exits at once.
  if (runs(9) || runs(7)) {
    const small = await serve(['--max-connections', '8', '--max-event-streams', '8']);
    const smallPort = Number(new URL(small.url).port);
    const sc = new Client(small.url);
    const streams = [];
    for (let k = 0; k < 2; k++) {
      const id = (await sc.request('x', 'POST', '/api/sessions', { body: {} })).body.id;
      for (let i = 0; i < 4; i++) streams.push(await sc.openStream('s', `/api/sessions/${id}/events`));
    }
    sc.close();
    const floodCount = scale(300, 3000);
    await Promise.all(Array.from({ length: floodCount }, () => new Promise((resolve) => {
      const s = net.connect(smallPort, '127.0.0.1');
      s.on('error', resolve);
      s.on('close', resolve);
      s.on('data', () => {});
      setTimeout(() => s.destroy(), 2000);
    })));
    const lines = (small.output().match(/refusing a connection/g) || []).length;
    figures['9_refusal_log_lines'] = { refused_connections: floodCount, log_lines: lines };
    check(lines <= 5, `9. ${floodCount} refused connections wrote ${lines} log line(s) (<= 5)`);
    // A request still arriving keeps the shutdown waiting for its grace; the second signal does not wait.
    for (const st of streams) st.close();
    const slow = net.connect(smallPort, '127.0.0.1', () => slow.write(`POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1:${smallPort}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`));
    slow.on('error', () => {});
    await sleep(300);
    small.signal('SIGINT');
    await sleep(500);
    const second = Date.now();
    small.signal('SIGINT');
    const exit = await Promise.race([small.exited, sleep(10000).then(() => ({ code: 'timeout' }))]);
    slow.destroy();
    const ms = Date.now() - second;
    figures['7_second_signal'] = { exit, ms };
    check(ms < 1000 && exit.code === 130, `7. a second SIGINT exits at once (${JSON.stringify(exit)} ${ms} ms after it)`);
  }
} finally {
  await cleanup();
}

console.log(JSON.stringify(figures, null, 1));
const jsonPath = option('--json', null);
if (jsonPath) fs.writeFileSync(jsonPath, JSON.stringify(figures, null, 1));
if (failures.length) {
  console.log(`FAILED: ${failures.length}`);
  process.exit(1);
}
console.log(measureOnly ? 'MEASURED' : 'PASSED');
