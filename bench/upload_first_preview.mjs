#!/usr/bin/env node
// Drives a real `draggan serve` through the editor's "Upload image" over HTTP and prints what its user waits
// for: the time from sending the photo to the first live reconstruction (an "upload" event carrying an image),
// and to the finished fit ("done"), with the PSNR/SSIM the server reports. Needs only Node >= 18 (fetch).
//
//   node bench/upload_first_preview.mjs --model G.safetensors --image photo.png [--threads 2] [--binary B] [--json]
//   (a generator's own image: draggan generate -m G.safetensors --seed 5 -o photo.png)
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => {
  if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : true]);
  return pairs;
}, []));
if (!args.model || !args.image) {
  console.error('usage: upload_first_preview.mjs --model CHECKPOINT --image PHOTO [--threads T] [--binary B] [--json]');
  process.exit(2);
}
if (args.binary) process.env.DRAGGAN_BINARY = args.binary;
const { startServer, serverSentEvents } = await import(path.join(here, '..', 'tests', 'e2e', 'server.mjs'));

async function measure(base, photo) {
  const created = await fetch(base + '/api/sessions', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}',
  });
  if (!created.ok) throw new Error(`POST /api/sessions: ${created.status}`);
  const route = `/api/sessions/${(await created.json()).id}`;
  const controller = new AbortController();
  const events = await fetch(base + `${route}/events`, { signal: controller.signal });
  const sentAt = performance.now();
  const upload = await fetch(base + `${route}/upload?name=${encodeURIComponent(path.basename(args.image))}`, {
    method: 'POST', headers: { 'Content-Type': 'image/png' }, body: photo,
  });
  if (!upload.ok) throw new Error(`POST upload: ${upload.status} ${await upload.text()}`);
  const result = { ms_to_first_preview: null, first_preview_stage: null, ms_to_done: null, previews: 0, done: null };
  for await (const { event, data } of serverSentEvents(events)) {
    const ms = performance.now() - sentAt;
    if (event === 'upload' && data && data.image) {
      result.previews += 1;
      if (result.ms_to_first_preview === null) {
        result.ms_to_first_preview = ms;
        result.first_preview_stage = `${data.stage} ${data.step}/${data.total}`;
      }
    } else if (event === 'done') {
      result.ms_to_done = ms;
      result.done = data;
      break;
    }
  }
  controller.abort();
  await fetch(base + route, { method: 'DELETE' });
  return result;
}

const photo = await readFile(args.image);
const server = await startServer(['--threads', String(args.threads || 2)], ['--model', args.model]);
try {
  const r = await measure(server.url, photo);
  if (args.json) {
    console.log(JSON.stringify({ model: args.model, image: args.image, ...r }));
  } else {
    console.log(`first live reconstruction after ${r.ms_to_first_preview?.toFixed(0)} ms (${r.first_preview_stage}), ` +
                `${r.previews} previews, done after ${r.ms_to_done?.toFixed(0)} ms: ${JSON.stringify(r.done)}`);
  }
} finally {
  await server.stop();
}
