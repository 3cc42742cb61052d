// What the server's load and abuse scripts share (Node only, no dependencies): starting `draggan serve`, an
// HTTP client that records every answer's status and latency, event streams held open, the server process's
// memory, and builders for hostile PNGs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import zlib from 'node:zlib';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// `draggan serve --port 0 [extra]` on `model`; resolves with {url, pid, stop(), alive(), signal(), exited,
// output()} once it prints its URL. output(): what it wrote (the last 256 kB); exited: {code, signal}.
export async function startServer(binary, model, extra = []) {
  const child = spawn(binary, ['serve', '--model', model, '--port', '0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk) => { output = (output + chunk).slice(-(256 << 10)); };
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL in 60 s:\n${output}`)), 60000);
    const onData = (chunk) => {
      const m = output.match(/http:\/\/127\.0\.0\.1:\d+/);
      if (m) { clearTimeout(timer); resolve(m[0]); }
    };
    child.stdout.on('data', (chunk) => { keep(chunk); onData(); });
    child.stderr.on('data', (chunk) => { keep(chunk); onData(); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`draggan serve exited (${code}):\n${output}`)); });
  });
  return {
    url, pid: child.pid, exited,
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    signal: (name) => child.kill(name),
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode ?? child.signalCode);
      child.once('exit', (code, signal) => resolve(code ?? signal));
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 15000).unref();
    }),
  };
}

// A field of /proc/<pid>/status in kB (VmHWM: peak resident memory, VmRSS: now); -1 when unreadable.
export function memoryKb(pid, field) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+)`, 'm'));
    return m ? Number(m[1]) : -1;
  } catch (e) {
    return -1;
  }
}

export function percentile(sorted, p) {
  if (!sorted.length) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 10) / 10;
}

// Requests to one server, each answer's status and latency recorded under a category.
export class Client {
  constructor(base) {
    this.base = base;
    this.host = new URL(base).host;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    this.stats = new Map();  // category -> {latencies: [], statuses: {}}
  }

  record(category, status, ms) {
    if (!this.stats.has(category)) this.stats.set(category, { latencies: [], statuses: {} });
    const s = this.stats.get(category);
    s.latencies.push(ms);
    s.statuses[status] = (s.statuses[status] || 0) + 1;
  }

  // {status, body (parsed when JSON), ms}; never throws: a connection error is status -1. `fresh`: a new
  // connection (as a separate client would have).
  request(category, method, route, { body, type = 'application/json', headers = {}, raw = false, fresh = false } = {}) {
    const started = performance.now();
    return new Promise((resolve) => {
      const data = body === undefined ? null : (Buffer.isBuffer(body) || typeof body === 'string' ? body : JSON.stringify(body));
      const h = { ...headers };
      if (data !== null) { h['Content-Type'] = h['Content-Type'] ?? type; h['Content-Length'] = Buffer.byteLength(data); }
      const req = http.request(this.base + route, { method, headers: h, agent: fresh ? false : this.agent, timeout: 60000 }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const ms = performance.now() - started;
          const buffer = Buffer.concat(chunks);
          let parsed = buffer;
          if (!raw && (res.headers['content-type'] || '').includes('json')) {
            try { parsed = JSON.parse(buffer.toString()); } catch (e) { parsed = null; }
          }
          this.record(category, res.statusCode, ms);
          resolve({ status: res.statusCode, body: parsed, ms });
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => {
        const ms = performance.now() - started;
        this.record(category, -1, ms);
        resolve({ status: -1, body: null, ms, error: e.message });
      });
      if (data !== null) req.write(data);
      req.end();
    });
  }

  // An event stream held open: resolves once its answer starts; `events` collects the event names.
  openStream(category, route, onEvent = () => {}) {
    return new Promise((resolve) => {
      const started = performance.now();
      const stream = { status: 0, ended: false, events: [], close: () => req.destroy() };
      const req = http.get(this.base + route, { agent: false }, (res) => {
        stream.status = res.statusCode;
        this.record(category, res.statusCode, performance.now() - started);
        let buffer = '';
        res.on('data', (chunk) => {
          buffer += chunk;
          for (let end; (end = buffer.indexOf('\n\n')) >= 0; buffer = buffer.slice(end + 2)) {
            const frame = buffer.slice(0, end);
            const event = (frame.match(/^event: (.*)$/m) || [])[1];
            if (!event) continue;
            stream.events.push(event);
            const data = (frame.match(/^data: (.*)$/m) || [])[1];
            try { onEvent(event, JSON.parse(data)); } catch (e) { /* not JSON: ignored */ }
          }
        });
        res.on('end', () => { stream.ended = true; });
        res.on('error', () => { stream.ended = true; });
        resolve(stream);
      });
      req.on('error', () => { stream.ended = true; if (!stream.status) { this.record(category, -1, 0); resolve(stream); } });
    });
  }

  // {category: {requests, statuses, p50_ms, p90_ms, p99_ms, max_ms}} and the number of answered requests.
  summary() {
    const categories = {};
    let answered = 0;
    for (const [category, s] of this.stats) {
      const sorted = [...s.latencies].sort((a, b) => a - b);
      answered += sorted.length - (s.statuses[-1] || 0);
      categories[category] = { requests: sorted.length, statuses: s.statuses, p50_ms: percentile(sorted, 50),
        p90_ms: percentile(sorted, 90), p99_ms: percentile(sorted, 99), max_ms: percentile(sorted, 100) };
    }
    return { categories, answered };
  }

  close() { this.agent.destroy(); }
}

function pngChunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32 ? zlib.crc32(body) : 0);  // the server does not check CRCs
  return Buffer.concat([len, body, crc]);
}

// A width x height 8-bit gray PNG of the filtered scanlines `raw` (each row: filter byte + pixels).
export function grayPng(width, height, raw) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(raw, { level: 9 })), pngChunk('IEND', Buffer.alloc(0))]);
}

// A smooth 64x64 gray photo.
export function photoPng() {
  const rows = [];
  for (let y = 0; y < 64; y++) {
    rows.push(0);
    for (let x = 0; x < 64; x++) rows.push(Math.round(128 + 100 * Math.sin(x / 9) * Math.cos(y / 11)));
  }
  return grayPng(64, 64, Buffer.from(rows));
}

// A PNG whose header claims width x height (995 kB of zeros would decode to gigabytes; this one is tiny).
export function hugeHeaderPng(width, height) {
  const p = Buffer.from(photoPng());
  p.writeUInt32BE(width, 16);
  p.writeUInt32BE(height, 20);
  return p;
}

// A small PNG whose pixel data inflates to 64 MB.
export const bombPng = (width, height) => grayPng(width, height, Buffer.alloc(64 << 20));
