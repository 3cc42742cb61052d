#!/usr/bin/env node
// Every finding of issue 12, replayed against `draggan serve` on the shipped model with its default options,
// each followed by the check that it is fixed. Exits 1 naming what failed.
//   node tests/load/issue12-replay.mjs [--binary build/src/tools/draggan] [--model models/default.safetensors]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, hugeHeaderPng, memoryKb, sleep, startServer } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const binary = option('--binary', process.env.DRAGGAN_BINARY || path.join(root, 'build', 'src', 'tools', 'draggan'));
const model = option('--model', path.join(root, 'models', 'default.safetensors'));
const rssLimitMb = Number(option('--rss-limit-mb', 500));

const failures = [];
const check = (ok, what) => { console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); if (!ok) failures.push(what); };

const server = await startServer(binary, model);
const c = new Client(server.url);
const json = (method, route, body, extra = {}) => c.request('replay', method, route, { body, ...extra });

// The user: a session with its page's event stream open, a point and a drag.
const user = (await json('POST', '/api/sessions', {})).body;
const at = (s = '') => `/api/sessions/${user.id}${s}`;
const page = await c.openStream('page', at('/events'));
await json('POST', at('/points'), { handle: [10, 16], target: [18, 16] });
await json('POST', at('/start'), { max_steps: 5 });
for (let i = 0; i < 100 && (await json('GET', at())).body.running; i++) await sleep(100);
const edited = (await json('GET', at('/image.png'), undefined, { raw: true })).body;

// 1. Other people's requests delete a user's work; parallel creates overshoot the cap.
for (let i = 0; i < 32; i++) await json('POST', '/api/sessions', {}, { fresh: true });
for (let burst = 0; burst < 3; burst++)
  await Promise.all(Array.from({ length: 40 }, () => json('POST', '/api/sessions', {}, { fresh: true })));
const state = await json('GET', at());
check(state.status === 200 && state.body.points.length === 1, '1. the user\'s session and its point survive 32 + 3 x 40 new sessions');
const image = (await json('GET', at('/image.png'), undefined, { raw: true })).body;
check(Buffer.compare(image, edited) === 0, '1. the user\'s dragged image is unchanged');
check((await json('GET', at('/session.json'))).status === 200, '1. session.json still answers');
check(!page.ended, '1. the page\'s event stream is still open');
const status = (await json('GET', '/api/status')).body;
check(status.sessions.in_memory <= status.sessions.max_in_memory, `1. the cap holds under parallel creates (${status.sessions.in_memory} <= ${status.sessions.max_in_memory})`);

// 2. Any web page can drive the API; the Host header is not checked.
const textPlain = await json('POST', '/api/sessions', '{}', { type: 'text/plain', headers: { Origin: 'http://evil.example' } });
check(textPlain.status === 403 || textPlain.status === 415, `2. a cross-origin text/plain POST is refused (${textPlain.status})`);
check((await json('POST', '/api/sessions', {}, { headers: { Origin: 'http://evil.example' } })).status === 403, '2. a cross-origin JSON POST is refused');
check((await json('POST', '/api/sessions', '{}', { type: 'text/plain' })).status === 415, '2. a text/plain POST is refused');
check((await json('GET', '/', undefined, { raw: true, headers: { Host: `rebind.evil.example:${new URL(server.url).port}` } })).status === 403, '2. a DNS-rebinding Host is refused');

// 3. Event streams and slow bodies starve the server.
const streams = [];
for (let i = 0; i < 48; i++) streams.push(await c.openStream('stream', at('/events')));
const slow = [];
for (let i = 0; i < 20; i++) {
  const s = net.connect(Number(new URL(server.url).port), '127.0.0.1');
  s.on('error', () => {});
  s.write(`POST /api/sessions HTTP/1.1\r\nHost: ${c.host}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{`);
  slow.push(s);
}
await sleep(300);
let slowest = 0;
for (const route of ['/api/models', '/', at(), `/api/sessions/${(await json('POST', '/api/sessions', {})).body?.id ?? user.id}`]) {
  const r = await c.request('probe', 'GET', route, { raw: route === '/', fresh: true });
  slowest = Math.max(slowest, r.status === 200 ? r.ms : 1e9);
}
check(slowest < 1000, `3. with 48 streams and 20 slow bodies open, the page, /api/models and sessions answer (slowest ${Math.round(slowest)} ms)`);
check(streams.filter((s) => s.status === 429).length > 0, '3. one session\'s streams beyond its cap get 429');
for (const s of streams) s.close();
for (const s of slow) s.destroy();

// 4. A 1 MB PNG costs gigabytes (as an upload and as a mask).
const before = memoryKb(server.pid, 'VmHWM');
const upload = await c.request('replay', 'POST', at('/upload'), { body: hugeHeaderPng(16000, 16000), type: 'image/png' });
check(upload.status === 400 && upload.ms < 2000, `4. a 16000x16000 PNG upload is refused at once (${upload.status}, ${Math.round(upload.ms)} ms)`);
const mask = await c.request('replay', 'PUT', at('/mask'), { body: hugeHeaderPng(16000, 16000), type: 'image/png' });
check(mask.status === 400, `4. a 16000x16000 PNG mask is refused (${mask.status})`);
check(memoryKb(server.pid, 'VmHWM') - before < 100 * 1024, '4. and the peak memory did not grow by 100 MB');

// 5. load skips the limits the other routes enforce.
const saved = (await json('GET', at('/session.json'))).body;
const many = { ...saved, points: Array.from({ length: 100000 }, () => ({ handle: [1, 1], target: null })) };
check((await json('POST', at('/load'), many)).status === 400, '5. load of 100 000 points is refused');
check((await json('POST', at('/load'), { ...saved, psi: 1e300 })).status === 400, '5. load of psi 1e300 is refused');
check((await json('POST', at('/reset'))).status === 200, '5. reset still answers 200');

// 6. GIF export for the one-channel model; 8 kB bodies without a JSON type; non-finite latents.
const gif = await c.request('replay', 'GET', at('/animation.gif'), { raw: true });
check(gif.status === 200 && gif.body.subarray(0, 6).toString() === 'GIF89a', `6. GIF export of the shipped one-channel model (${gif.status})`);
const form = await json('POST', at('/load'), 'x'.repeat(9000), { type: 'application/x-www-form-urlencoded' });
check(form.status >= 400 && form.status < 500 && /Content-Type/.test(form.body.error || ''), `6. a 9 kB form-typed body gets a 4xx naming the Content-Type (${form.status})`);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'draggan-replay-'));
const npy = Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), Buffer.from([0x76, 0]),
  Buffer.from(`{'descr': '<f4', 'fortran_order': False, 'shape': (1, 8, 64), }`.padEnd(117, ' ') + '\n'),
  Buffer.alloc(8 * 64 * 4, 0xff)]);  // 0xffffffff: NaN
fs.writeFileSync(path.join(dir, 'nan.npy'), npy);
const gen = spawnSync(binary, ['generate', '--model', model, '--latent', path.join(dir, 'nan.npy'), '--out', path.join(dir, 'x.png')]);
check(gen.status !== 0 && !fs.existsSync(path.join(dir, 'x.png')), '6. generate --latent of an all-NaN .npy fails and writes nothing');
fs.rmSync(dir, { recursive: true, force: true });

const peakMb = memoryKb(server.pid, 'VmHWM') / 1024;
check(peakMb < rssLimitMb, `peak RSS ${peakMb.toFixed(1)} MB < ${rssLimitMb} MB`);
page.close();
c.close();
check(server.alive(), 'the server is still running');
await server.stop();
if (failures.length) {
  console.log(`FAILED: ${failures.length}`);
  process.exit(1);
}
console.log('PASSED');
