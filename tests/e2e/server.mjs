// Starts and stops a real `draggan serve` for the tests: any free port (--port 0, the URL is read from its
// output), the fixture model unless DRAGGAN_TEST_MODEL says otherwise.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const sourceDir = path.resolve(here, '..', '..');
export const binary = process.env.DRAGGAN_BINARY || path.join(sourceDir, 'build', 'src', 'tools', 'draggan');
export const testModel = process.env.DRAGGAN_TEST_MODEL || path.join(sourceDir, 'tests', 'data', 'tiny_sg2.pkl');

// Every server still running when this test process exits, however it exits (a test file that fails before its
// after-hooks run, e.g. when the browser cannot start), is killed with it: tests never leave a server behind.
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

// modelArgs: what to serve (default the test model; e.g. ['--models', dir] for a folder).
export async function startServer(extraArgs = [], modelArgs = ['--model', testModel]) {
  // One intra-op thread unless the caller asks for more (the benchmark in bench/ does).
  const threads = extraArgs.includes('--threads') ? [] : ['--threads', '1'];
  const args = ['serve', ...modelArgs, '--port', '0', ...threads, ...extraArgs];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`draggan serve printed no URL in 60 s:\n${output}`)), 60000);
    const onData = (chunk) => {
      output += chunk.toString();
      const match = output.match(/http:\/\/[0-9.]+:\d+\//);
      if (match) { clearTimeout(timer); resolve(match[0].replace(/\/$/, '')); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`draggan serve exited (${code}):\n${output}`)); });
  });
  child.stdout.on('data', (chunk) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk) => { output += chunk.toString(); });
  return {
    url,
    pid: child.pid,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
    alive: () => child.exitCode === null && child.signalCode === null,
  };
}

// JSON API call: returns {status, body}.
export async function api(base, method, route, body, headers = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
    if (!init.headers['Content-Type']) init.headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(base + route, init);
  const type = response.headers.get('content-type') || '';
  const data = type.includes('json') ? await response.json() : Buffer.from(await response.arrayBuffer());
  return { status: response.status, body: data, type };
}

// Yields {event, data} for each server-sent event frame of `response` as it arrives (data parsed from JSON;
// frames without an event name are skipped), until the stream ends or the caller stops iterating.
export async function* serverSentEvents(response) {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = (frame.match(/^event: (.*)$/m) || [])[1];
      if (!event) continue;
      yield { event, data: JSON.parse((frame.match(/^data: (.*)$/m) || [])[1]) };
    }
  }
}

// Reads server-sent events until `until(event, data)` returns true (or the timeout); returns all events.
export async function readEvents(url, until, timeoutMs = 120000) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const events = [];
  try {
    const response = await fetch(url, { signal: controller.signal });
    for await (const { event, data } of serverSentEvents(response)) {
      events.push({ event, data });
      if (until(event, data)) return events;
    }
  } catch (e) {
    if (e.name !== 'AbortError') throw e;
    throw new Error(`no matching event within ${timeoutMs} ms; got ${events.map((e) => e.event).join(', ')}`);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}
