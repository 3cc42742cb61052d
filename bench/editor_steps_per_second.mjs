#!/usr/bin/env node
// Drives a real `draggan serve` over HTTP the way the editor page does (one session, one handle, Start, the
// server-sent step events) and prints the steps per second a client sees, for preview_every 1 (an image with
// every step, the editor's default) and 10. Counted on the client: step events received between the first and
// the last one, and the time from Start to the first moved image; then the server's peak memory (VmHWM, Linux).
// Needs only Node >= 18 (fetch).
//
//   node bench/editor_steps_per_second.mjs --model G.safetensors [--steps 20] [--threads 2] [--json]
//   (a random 256-px generator of the official shape: draggan bench --random-config 256 --save-random G.safetensors)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => {
  if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : true]);
  return pairs;
}, []));
if (args.binary) process.env.DRAGGAN_BINARY = args.binary;
// The tests' launcher (any free port, the URL read from the server's output); imported after --binary is known.
const { startServer, serverSentEvents } = await import(path.join(here, '..', 'tests', 'e2e', 'server.mjs'));
const steps = Number(args.steps || 20);
const threads = String(args.threads || 2);
if (!args.model) {
  console.error('usage: editor_steps_per_second.mjs --model CHECKPOINT [--steps N] [--threads T] [--json]');
  process.exit(2);
}

async function api(base, method, route, body) {
  const response = await fetch(base + route, {
    method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(data)}`);
  return data;
}

// One drag of `steps` steps; returns what the client saw.
async function measure(base, previewEvery) {
  const session = await api(base, 'POST', '/api/sessions', {});
  const route = `/api/sessions/${session.id}`;
  const { width, height } = session;
  await api(base, 'PATCH', route, { params: { preview_every: previewEvery } });
  // Far enough that the drag does not reach its target within the measured steps.
  await api(base, 'POST', `${route}/points`, {
    handle: [Math.round(width * 0.3), Math.round(height * 0.5)], target: [Math.round(width * 0.7), Math.round(height * 0.5)],
  });
  const controller = new AbortController();
  const events = await fetch(base + `${route}/events`, { signal: controller.signal });
  const startedAt = performance.now();
  await api(base, 'POST', `${route}/start`, { max_steps: steps });
  const stepTimes = [];
  const imageTimes = [];
  for await (const { event, data } of serverSentEvents(events)) {
    if (event === 'step') {
      stepTimes.push(performance.now());
      if (data.image || data.image_version) {
        // A large image is not inline: fetch it as the page does.
        if (!data.image) await (await fetch(base + `${route}/image.png?v=${data.image_version}`)).arrayBuffer();
        imageTimes.push(performance.now());
      }
    } else if (event === 'done') {
      break;
    }
  }
  controller.abort();
  await fetch(base + route, { method: 'DELETE' });
  const rate = (times) => (times.length > 1 ? (times.length - 1) / ((times.at(-1) - times[0]) / 1000) : 0);
  return {
    preview_every: previewEvery,
    steps: stepTimes.length,
    images: imageTimes.length,
    steps_per_s: rate(stepTimes),
    images_per_s: rate(imageTimes),
    ms_start_to_first_image: imageTimes.length ? imageTimes[0] - startedAt : null,
  };
}

// The server process's peak resident memory in MB (null where /proc is not there).
function peakMemoryMb(pid) {
  try {
    const kb = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
    return kb ? Number(kb[1]) / 1024 : null;
  } catch {
    return null;
  }
}

const server = await startServer(['--threads', threads], ['--model', args.model]);
try {
  const results = [];
  for (const every of [1, 10]) results.push(await measure(server.url, every));
  const peak = peakMemoryMb(server.pid);
  if (args.json) {
    console.log(JSON.stringify({ model: args.model, threads: Number(threads), results, server_peak_rss_mb: peak }));
  } else {
    for (const r of results)
      console.log(`preview_every ${String(r.preview_every).padStart(2)}: ${r.steps_per_s.toFixed(2)} steps/s, ` +
                  `${r.images_per_s.toFixed(2)} images/s (${r.steps} steps, ${r.images} images), ` +
                  `Start -> first image ${r.ms_start_to_first_image?.toFixed(0)} ms`);
    if (peak !== null) console.log(`server peak RSS (VmHWM): ${peak.toFixed(0)} MB`);
  }
} finally {
  await server.stop();
}
