// A cluster for the tests (Node only, loopback): redis-server, replicas of `draggan serve --store` and HAProxy
// from the shipped configs (deploy/), each started as a child process and stopped by its pid, also when a test
// fails or is interrupted. Plus what the tests share: an event stream that reconnects as the page's does, a
// session's drag recorded step by step, a small PNG decoder, and the store's keys read with redis-cli.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const args = process.argv.slice(2);
export const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
export const binary = option('--binary', process.env.DRAGGAN_BINARY || path.join(root, 'build', 'src', 'tools', 'draggan'));
export const model = option('--model', path.join(root, 'models', 'default.safetensors'));

// Every child of this test, killed (woken first: a frozen one cannot act) when the test exits in any way.
const children = new Set();
function killAll() {
  for (const c of children) {
    try { process.kill(c.pid, 'SIGCONT'); } catch (e) { /* gone */ }
    try { process.kill(c.pid, 'SIGKILL'); } catch (e) { /* gone */ }
  }
  children.clear();
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { killAll(); process.exit(130); });

// A test's time limit: past it the test fails and everything it started is stopped.
export function deadline(seconds, name) {
  setTimeout(() => { console.error(`${name}: FAIL, still running after ${seconds} s`); killAll(); process.exit(1); },
    seconds * 1000).unref();
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function launch(command, argv, logFile, env = process.env) {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(command, argv, { stdio: ['ignore', log, log], env });
  fs.closeSync(log);
  children.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => { children.delete(child); resolve(code ?? signal); }));
  return {
    pid: child.pid,
    alive: () => child.exitCode === null && child.signalCode === null,
    exited,
    signal: (s) => { try { process.kill(child.pid, s); } catch (e) { /* gone */ } },
    async stop(timeoutMs = 15000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      try { process.kill(child.pid, 'SIGCONT'); child.kill('SIGTERM'); } catch (e) { /* gone */ }
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

async function waitFor(what, check, timeoutMs, logFile) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try { if (await check()) return; } catch (e) { /* not yet */ }
    if (Date.now() > until) {
      const log = logFile && fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-2000) : '';
      throw new Error(`${what} not ready in ${timeoutMs} ms\n${log}`);
    }
    await sleep(100);
  }
}

export function redisCli(port, ...command) {
  return execFileSync('redis-cli', ['-p', String(port), '--raw', ...command], { timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).toString().replace(/\n$/, '');
}

export class Redis {
  constructor(dir) { this.dir = dir; }
  async start(port) {
    this.port = port ?? this.port ?? await freePort();
    this.log = path.join(this.dir, 'redis.log');
    this.process = launch('redis-server', [path.join(root, 'deploy', 'redis.conf'), '--port', String(this.port),
      '--dir', this.dir, '--daemonize', 'no', '--pidfile', '', '--logfile', this.log], path.join(this.dir, 'redis.out'));
    await waitFor('redis-server', () => redisCli(this.port, 'ping') === 'PONG', 10000, this.log);
    return this;
  }
  get url() { return `redis://127.0.0.1:${this.port}`; }
  cli(...command) { return redisCli(this.port, ...command); }
}

export class Replica {
  constructor(dir, name, redisUrl, { leaseMs = 1500, extra = [] } = {}) {
    Object.assign(this, { dir, name, redisUrl, leaseMs, extra });
  }
  async start() {
    this.port = this.port ?? await freePort();
    this.log = path.join(this.dir, `${this.name}.log`);
    this.process = launch(binary, ['serve', '--model', model, '--port', String(this.port), '--threads', '1',
      '--store', this.redisUrl, '--replica', this.name, '--lease-ms', String(this.leaseMs), '--allowed-host', '*',
      ...this.extra], this.log);
    await waitFor(`replica ${this.name}`, async () => (await fetch(`${this.url}/readyz`)).status === 200, 60000, this.log);
    return this;
  }
  get url() { return `http://127.0.0.1:${this.port}`; }
  get pid() { return this.process.pid; }
  kill9() { this.process.signal('SIGKILL'); return this.process.exited; }
  freeze() { this.process.signal('SIGSTOP'); }
  thaw() { this.process.signal('SIGCONT'); }
  stop() { return this.process.stop(); }
  output() { return fs.existsSync(this.log) ? fs.readFileSync(this.log, 'utf8') : ''; }
}

export class Balancer {
  constructor(dir, replicas) { Object.assign(this, { dir, replicas }); }
  async start() {
    this.port = await freePort();
    const servers = this.replicas.map((r) => `  server ${r.name} 127.0.0.1:${r.port} check`).join('\n') + '\n';
    const config = fs.readFileSync(path.join(root, 'deploy', 'haproxy.cfg.in'), 'utf8')
      .replaceAll('@BIND@', `127.0.0.1:${this.port}`).replaceAll('@PORT@', String(this.port))
      .replaceAll('@RUN_DIR@', this.dir).replaceAll('@DEPLOY_DIR@', path.join(root, 'deploy'))
      .replaceAll('@EXTRA_HOST_ACL@', '').replace('@SERVERS@\n', servers);
    const file = path.join(this.dir, 'haproxy.cfg');
    fs.writeFileSync(file, config);
    this.log = path.join(this.dir, 'haproxy.log');
    this.process = launch('haproxy', ['-f', file, '-db'], this.log);
    // Up once every replica passed its health checks.
    await waitFor('haproxy', async () => {
      const names = new Set();
      for (let i = 0; i < 4 * this.replicas.length; i++) {
        const r = await fetch(`${this.url}/api/models`);
        if (r.status === 200) names.add(r.headers.get('x-draggan-replica'));
      }
      return names.size === this.replicas.length;
    }, 30000, this.log);
    return this;
  }
  get url() { return `http://127.0.0.1:${this.port}`; }
  stop() { return this.process.stop(); }
}

// redis-server, `count` replicas (r1, r2, ...) and HAProxy in a fresh folder.
export async function startCluster(count, options = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'draggan-cluster-test-'));
  const redis = await new Redis(dir).start();
  const replicas = [];
  for (let i = 1; i <= count; i++) replicas.push(new Replica(dir, `r${i}`, redis.url, options));
  await Promise.all(replicas.map((r) => r.start()));
  const balancer = count > 0 && options.balancer !== false ? await new Balancer(dir, replicas).start() : null;
  return {
    dir, redis, replicas, balancer,
    replica: (name) => replicas.find((r) => r.name === name),
    async stop() {
      for (const r of replicas) await r.stop();
      if (balancer) await balancer.stop();
      await redis.process.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// JSON API call: {status, body, replica, headers}; never throws (a connection error is status -1).
export async function api(base, method, route, body, headers = {}) {
  const init = { method, headers: { ...headers }, signal: AbortSignal.timeout(30000) };
  if (body !== undefined) {
    init.body = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
    if (!init.headers['Content-Type']) init.headers['Content-Type'] = 'application/json';
  } else if (['POST', 'PUT', 'PATCH'].includes(method)) {
    init.body = '{}';
    init.headers['Content-Type'] = 'application/json';
  }
  const started = performance.now();
  try {
    let response;
    try {
      response = await fetch(base + route, init);
    } catch (e) {
      // A kept-alive connection the server had just closed: sent again on a new one, as browsers do.
      if (!['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'].includes(e.cause?.code)) throw e;
      response = await fetch(base + route, { ...init, signal: AbortSignal.timeout(30000) });
    }
    const type = response.headers.get('content-type') || '';
    const data = type.includes('json') ? await response.json() : Buffer.from(await response.arrayBuffer());
    return { status: response.status, body: data, replica: response.headers.get('x-draggan-replica'),
      headers: response.headers, ms: performance.now() - started };
  } catch (e) {
    return { status: -1, body: null, error: e.message, ms: performance.now() - started };
  }
}

// The page's event stream: reconnects after it ends or fails (1 s, as the server asks), records every event
// and which replica sent it.
export class PageStream {
  constructor(base, id, { retryMs = 1000 } = {}) {
    Object.assign(this, { base, id, retryMs });
    this.events = [];        // {event, data, replica, at}
    this.connects = [];      // {replica, status, at}
    this.closed = false;
    this.listeners = new Set();
    this.connect();
  }
  connect() {
    if (this.closed) return;
    const controller = new AbortController();
    this.controller = controller;
    (async () => {
      let replica = null;
      try {
        const response = await fetch(`${this.base}/api/sessions/${this.id}/events`, { signal: controller.signal });
        replica = response.headers.get('x-draggan-replica');
        this.connects.push({ replica, status: response.status, at: Date.now() });
        if (response.status !== 200) { await response.arrayBuffer().catch(() => {}); throw new Error(`status ${response.status}`); }
        const decoder = new TextDecoder();
        let buffer = '';
        for await (const chunk of response.body) {
          buffer += decoder.decode(chunk, { stream: true });
          for (let end; (end = buffer.indexOf('\n\n')) >= 0; buffer = buffer.slice(end + 2)) {
            const frame = buffer.slice(0, end);
            const event = (frame.match(/^event: (.*)$/m) || [])[1];
            const data = (frame.match(/^data: (.*)$/m) || [])[1];
            if (!event) continue;
            let parsed = null;
            try { parsed = JSON.parse(data); } catch (e) { /* not JSON */ }
            const record = { event, data: parsed, replica, at: Date.now() };
            this.events.push(record);
            for (const l of this.listeners) l(record);
          }
        }
      } catch (e) {
        if (!replica) this.connects.push({ replica: null, status: -1, at: Date.now(), error: e.message });
      }
      if (!this.closed) setTimeout(() => this.connect(), this.retryMs);
    })();
  }
  // Resolves with the first event (from now on, or already received when `past`) that matches.
  waitFor(match, timeoutMs, what = 'event', past = false) {
    if (past) { const e = this.events.find(match); if (e) return Promise.resolve(e); }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.listeners.delete(l); reject(new Error(`no ${what} in ${timeoutMs} ms`)); }, timeoutMs);
      const l = (e) => { if (match(e)) { clearTimeout(timer); this.listeners.delete(l); resolve(e); } };
      this.listeners.add(l);
    });
  }
  // The handles after each optimiser step seen so far: step -> JSON of the points.
  handlesByStep() {
    const out = new Map();
    for (const e of this.events)
      if (e.event === 'step' && e.data) out.set(e.data.step, JSON.stringify(e.data.points));
    return out;
  }
  close() { this.closed = true; this.controller?.abort(); }
}

// The latent of a session's save file as floats.
export function latentOf(doc) {
  const bytes = Buffer.from(doc.latent.data, 'base64');
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
}

export function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// 8-bit gray/RGB/RGBA non-interlaced PNG -> {width, height, channels, pixels}.
export function decodePng(buffer) {
  let offset = 8;
  let width = 0, height = 0, type = 0;
  const idat = [];
  while (offset < buffer.length) {
    const length = buffer.readUInt32BE(offset);
    const name = buffer.toString('latin1', offset + 4, offset + 8);
    const data = buffer.subarray(offset + 8, offset + 8 + length);
    if (name === 'IHDR') { width = data.readUInt32BE(0); height = data.readUInt32BE(4); type = data[9]; }
    if (name === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[type];
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      let p = v;
      if (filter === 1) p = v + a;
      else if (filter === 2) p = v + b;
      else if (filter === 3) p = v + ((a + b) >> 1);
      else if (filter === 4) {
        const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
        p = v + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      pixels[y * stride + x] = p & 255;
    }
  }
  return { width, height, channels, pixels };
}

export function imageMaxDiff(pngA, pngB) {
  const a = decodePng(pngA), b = decodePng(pngB);
  if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) return Infinity;
  let m = 0;
  for (let i = 0; i < a.pixels.length; i++) m = Math.max(m, Math.abs(a.pixels[i] - b.pixels[i]));
  return m;
}

// Assertions that collect failures instead of stopping at the first.
export class Checks {
  constructor(name) { this.name = name; this.failures = []; this.passed = 0; }
  ok(condition, what) {
    if (condition) this.passed++;
    else { this.failures.push(what); console.error(`  FAIL ${what}`); }
    return condition;
  }
  finish(extra = '') {
    const verdict = this.failures.length ? 'FAIL' : 'ok';
    console.log(`${this.name}: ${verdict} (${this.passed} checks passed, ${this.failures.length} failed)${extra}`);
    return this.failures.length ? 1 : 0;
  }
}
