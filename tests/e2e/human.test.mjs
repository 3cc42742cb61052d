// The editor on a non-square model: the StyleGAN-Human fixture (64 rows x 32 columns) picked from a `--models`
// folder beside the square StyleGAN2 fixture. The canvas keeps the 1:2 aspect ratio at any window size, clicks
// land on the pixels of that image, the mask brush, Save PNG, the animation and session files are 32x64.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, api, sourceDir } from './server.mjs';
import { launchBrowser } from './browser.mjs';

const humanModel = path.join(sourceDir, 'tests', 'data', 'formats', 'stylegan_human', 'stylegan_human_tiny_64x32.pkl');

let server;
let browser;
let page;
let modelsDir;
const pageErrors = [];

before(async () => {
  modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'draggan-e2e-models-'));
  // Sorted by name, the square model is the default; the page starts on it.
  fs.copyFileSync(humanModel, path.join(modelsDir, 'human.pkl'));
  fs.copyFileSync(path.join(sourceDir, 'tests', 'data', 'tiny_sg2.pkl'), path.join(modelsDir, 'a_square.pkl'));
  server = await startServer(['--no-ai-mark'], ['--models', modelsDir]);  // the true 32x64 image
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.url + '/');
  await page.waitForFunction(() => document.getElementById('image').dataset.version !== undefined);
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  if (modelsDir) fs.rmSync(modelsDir, { recursive: true, force: true });
});

const sessionId = () => page.evaluate(() => ui.session.id);
const imageVersion = () => page.evaluate(() => Number(document.getElementById('image').dataset.version));
const pixels = () => page.evaluate(() => {
  const c = document.getElementById('image');
  return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
});
const listedPoints = () => page.evaluate(() => Array.from(document.querySelectorAll('#points li')).map((li) => ({
  handle: li.dataset.handle.split(',').map(Number),
  target: li.dataset.target ? li.dataset.target.split(',').map(Number) : null,
})));

// The centre of image pixel (x, y) on the screen, from the overlay's box and the image's own width.
async function canvasPoint(x, y) {
  const box = await page.locator('#overlay').boundingBox();
  const width = await page.evaluate(() => document.getElementById('image').width);
  const scale = box.width / width;
  return { x: box.x + (x + 0.5) * scale, y: box.y + (y + 0.5) * scale };
}

async function download(selector) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator(selector).click()]);
  return { name: file.suggestedFilename(), bytes: fs.readFileSync(await file.path()) };
}

function pngSize(bytes) {
  assert.equal(bytes.toString('latin1', 12, 16), 'IHDR');
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

// The displayed canvases: both the image and the overlay at width x scale by height x scale, scale a whole number.
async function displayedScale() {
  const image = await page.locator('#image').boundingBox();
  const overlay = await page.locator('#overlay').boundingBox();
  const scale = image.width / 32;
  assert.ok(Number.isInteger(Math.round(scale * 1000) / 1000), `scale ${scale}`);
  assert.ok(Math.abs(image.height - 64 * scale) < 0.5, `image shown ${image.width}x${image.height}: stretched`);
  assert.ok(Math.abs(overlay.width - image.width) < 0.5 && Math.abs(overlay.height - image.height) < 0.5,
    'the overlay covers the image exactly');
  return scale;
}

test('picking the StyleGAN-Human model shows its 32x64 image', async () => {
  await page.waitForFunction(() => document.getElementById('connection').textContent === 'connected');
  assert.equal(await page.locator('#model-picker').isVisible(), true, 'two models: the picker is shown');
  const version = await imageVersion();
  await page.locator('#model').selectOption('human');
  await page.waitForFunction((v) => ui.session.model === 'human' &&
    Number(document.getElementById('image').dataset.version) !== v, version);
  const state = await page.evaluate(() => ui.session);
  assert.equal(state.family, 'stylegan-human');
  assert.deepEqual([state.width, state.height], [32, 64]);
  assert.deepEqual(await page.evaluate(() => [document.getElementById('image').width, document.getElementById('image').height]),
    [32, 64]);
  const px = await pixels();
  assert.equal(px.length, 32 * 64 * 4);
  assert.ok(new Set(px).size > 50, 'the canvas shows an image, not a flat colour');
  await displayedScale();
});

test('the canvas keeps the aspect ratio at any window size', async () => {
  const scales = [];
  for (const viewport of [{ width: 700, height: 1000 }, { width: 1400, height: 520 }, { width: 1280, height: 900 }]) {
    await page.setViewportSize(viewport);
    await page.waitForFunction(() => document.getElementById('image').dataset.version !== undefined);
    await page.waitForTimeout(200);  // the resize handler redraws
    scales.push(await displayedScale());
  }
  assert.ok(scales[1] < scales[0], `a low window shows the tall image smaller (scales ${scales.join(', ')})`);
});

test('clicks land on the pixels of the 2:1 image', async () => {
  // Near the corners: a handle in the lower left, its target at the last column.
  for (const [x, y] of [[3, 50], [31, 40]]) {
    const p = await canvasPoint(x, y);
    await page.mouse.click(p.x, p.y);
  }
  await page.waitForSelector('#points li[data-target="31,40"]');
  const points = await listedPoints();
  assert.deepEqual(points, [{ handle: [3, 50], target: [31, 40] }]);
  const { body: state } = await api(server.url, 'GET', `/api/sessions/${await sessionId()}`);
  assert.deepEqual(state.points[0].handle, [3, 50]);
  assert.deepEqual(state.points[0].target, [31, 40]);
});

test('the mask brush paints on the 32x64 image', async () => {
  await page.locator('input[name=mode][value=mask]').check();
  const from = await canvasPoint(4, 10), to = await canvasPoint(28, 12);
  const answered = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith('/mask'));
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps: 10 });
  await page.mouse.up();
  assert.equal((await answered).status(), 200);
  const { body: mask } = await api(server.url, 'GET', `/api/sessions/${await sessionId()}/mask`);
  assert.deepEqual([mask.width, mask.height], [32, 64]);
  // The painted stroke is rows ~10-12 across the image: its first movable pixel is in the top rows.
  const firstMovable = mask.counts[0];
  assert.ok(Math.floor(firstMovable / 32) < 12, `first painted pixel at row ${Math.floor(firstMovable / 32)}`);
  await page.locator('#clear-mask').click();
  await page.locator('input[name=mode][value=points]').check();
});

test('a drag runs and Save PNG, the animation and the session are 32x64', async () => {
  await page.evaluate(() => { document.getElementById('advanced').open = true; });
  for (const [id, value] of [['lr', 0.01], ['max-steps', 4]]) {
    const answered = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await page.locator('#' + id).fill(String(value));
    await page.locator('#' + id).dispatchEvent('change');
    await answered;
  }
  await page.locator('#start').click();
  await page.waitForFunction(() => document.getElementById('drag-state').textContent.startsWith('done'), null,
    { timeout: 240000 });

  const png = await download('#save-png');
  assert.deepEqual(pngSize(png.bytes), [32, 64]);
  const gif = await download('#export-animation');
  assert.equal(gif.bytes.toString('latin1', 0, 6), 'GIF89a');
  assert.deepEqual([gif.bytes.readUInt16LE(6), gif.bytes.readUInt16LE(8)], [32, 64]);

  const saved = await pixels();
  const session = await download('#save-session');
  const doc = JSON.parse(session.bytes.toString());
  assert.deepEqual([doc.model.width, doc.model.height, doc.model.family], [32, 64, 'stylegan-human']);
  const version = await imageVersion();
  await page.locator('#reset').click();
  await page.waitForFunction((v) => Number(document.getElementById('image').dataset.version) > v, version);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'draggan-e2e-')), 'session.json');
  fs.writeFileSync(file, session.bytes);
  const reset = await imageVersion();
  await page.locator('#session-file').setInputFiles(file);
  await page.waitForFunction((v) => Number(document.getElementById('image').dataset.version) > v, reset);
  assert.deepEqual(await pixels(), saved);
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
});
