// The "AI Generated" mark as a user meets it, on the shipped 32-px model: by default the editor shows and saves
// marked images (what the server serves: the model's image enlarged to 256 px, nearest neighbour, and stamped in
// its bottom-right corner), clicks still land on the model's pixels, and the downloads carry their provenance
// record (read by exiftool); a server started with --no-ai-mark shows the model's own 32 px, unmarked.
// It also takes the README's screenshot of the editor after a drag: DRAGGAN_SCREENSHOT=file.png (scripts/pictures.sh).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, api, sourceDir } from './server.mjs';
import { launchBrowser } from './browser.mjs';

const shippedModel = path.join(sourceDir, 'models', 'default.safetensors');
const GENERATED = 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia';
const HANDLE = [17, 11];
const TARGET = [17, 7];

let marked;
let plain;
let browser;
let page;
const pageErrors = [];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'draggan-marks-'));

before(async () => {
  [marked, plain] = await Promise.all([startServer([], ['--model', shippedModel]),
    startServer(['--no-ai-mark'], ['--model', shippedModel])]);
  browser = await launchBrowser();
  page = await browser.context.newPage();
  await page.setViewportSize({ width: 900, height: 640 });  // the README's screenshot: the editor, compact
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(async () => {
  if (browser) await browser.close();
  await Promise.all([marked?.stop(), plain?.stop()]);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function open(server) {
  await page.goto(server.url + '/');
  await page.waitForFunction(() => document.getElementById('connection').textContent === 'connected' &&
    document.getElementById('image').dataset.version !== undefined);
}

// Compares the page's image canvas with a PNG (base64) drawn `scale` times larger, nearest neighbour: how many
// pixels differ and the box they lie in.
function compareCanvas(pngBase64, scale) {
  return page.evaluate(async ([b64, k]) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + b64;
    await img.decode();
    const shown = document.getElementById('image');
    const c = document.createElement('canvas');
    c.width = img.width * k;
    c.height = img.height * k;
    const ctx = c.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(img, 0, 0, c.width, c.height);
    if (c.width !== shown.width || c.height !== shown.height) return { sizeMismatch: [shown.width, shown.height] };
    const a = ctx.getImageData(0, 0, c.width, c.height).data;
    const b = shown.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let count = 0, left = c.width, top = c.height;
    for (let i = 0; i < a.length; i += 4) {
      if (a[i] === b[i] && a[i + 1] === b[i + 1] && a[i + 2] === b[i + 2]) continue;
      count++;
      left = Math.min(left, (i / 4) % c.width);
      top = Math.min(top, Math.floor(i / 4 / c.width));
    }
    return { count, left, top };
  }, [pngBase64, scale]);
}

async function servedImage(server, seed) {
  const { body: session } = await api(server.url, 'POST', '/api/sessions', { seed });
  const { body } = await api(server.url, 'GET', `/api/sessions/${session.id}/image.png`);
  await api(server.url, 'DELETE', `/api/sessions/${session.id}`);
  return body.toString('base64');
}

// The centre of model pixel (x, y) on the screen: the canvas is drawn at the model's size times a whole scale.
async function clickPixel(x, y) {
  const box = await page.locator('#overlay').boundingBox();
  const scale = box.width / await page.evaluate(() => ui.session.width);
  await page.mouse.click(box.x + (x + 0.5) * scale, box.y + (y + 0.5) * scale);
}

async function download(selector) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator(selector).click()]);
  const target = path.join(dir, file.suggestedFilename());
  fs.copyFileSync(await file.path(), target);
  return target;
}

function exiftool(file) {
  const r = spawnSync('exiftool', ['-j', '-struct', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, `exiftool ${file} (apt-get install libimage-exiftool-perl): ${r.stderr}`);
  return JSON.parse(r.stdout)[0];
}

test('by default the editor shows the marked image the server serves, enlarged to 256 px', async () => {
  await open(marked);
  assert.equal(await page.evaluate(() => ui.session.width), 32, 'the model is 32 px');
  assert.deepEqual(await page.evaluate(() => [document.getElementById('image').width,
    document.getElementById('image').height]), [256, 256]);
  const served = await compareCanvas(await servedImage(marked, 0), 1);
  assert.equal(served.count, 0, 'the canvas shows exactly the served (marked) image');
  // Against the model's own image (the --no-ai-mark server, same seed) enlarged 8x: only the mark differs.
  const mark = await compareCanvas(await servedImage(plain, 0), 8);
  assert.ok(mark.count > 200, `the letters of the mark: ${mark.count} px`);
  assert.ok(mark.top >= 256 - 40 && mark.left >= 128, `the mark sits in the bottom-right corner (${mark.left}, ${mark.top})`);
});

test('clicks land on model pixels, a drag runs, and the README screenshot is taken', async () => {
  await clickPixel(...HANDLE);
  await page.waitForSelector(`#points li[data-handle="${HANDLE.join(',')}"]`);
  await clickPixel(...TARGET);
  await page.waitForSelector(`#points li[data-target="${TARGET.join(',')}"]`);
  await page.evaluate(() => { document.getElementById('advanced').open = true; });
  const answered = page.waitForResponse((r) => r.request().method() === 'PATCH');
  await page.locator('#max-steps').fill('60');
  await page.locator('#max-steps').dispatchEvent('change');
  await answered;
  await page.evaluate(() => { document.getElementById('advanced').open = false; });
  await page.locator('#start').click();
  await page.waitForFunction(() => document.getElementById('drag-state').textContent.startsWith('done'), null,
    { timeout: 120000 });
  const [point] = await page.evaluate(() => ui.session.points);
  assert.notDeepEqual(point.handle, HANDLE, 'tracking moved the handle');
  const shot = process.env.DRAGGAN_SCREENSHOT || path.join(dir, 'editor.png');
  await page.screenshot({ path: shot });
  assert.ok(fs.statSync(shot).size > 10000, 'a screenshot of the editor');
});

test('Save PNG and Export animation download marked files with their provenance record', async () => {
  const png = exiftool(await download('#save-png'));
  assert.equal(png.DigitalSourceType, GENERATED);
  assert.equal(png.ImageWidth, 256);
  assert.equal(png.DragganModel, 'default.safetensors');
  const drags = JSON.parse(png.DragganDrags);
  assert.deepEqual(drags.map((d) => d.points), [[[...HANDLE, ...TARGET]]]);
  assert.ok(drags[0].steps > 0 && drags[0].steps <= 60, `steps ${drags[0].steps}`);

  const gif = exiftool(await download('#export-animation'));
  assert.equal(gif.DigitalSourceType, GENERATED, 'the GIF carries XMP');
  assert.equal(gif.ImageWidth, 256, 'marked frames');
  assert.match(gif.Comment, /draggan drags: /);
});

test('with --no-ai-mark the editor shows the model\'s own pixels, unmarked', async () => {
  await open(plain);
  assert.deepEqual(await page.evaluate(() => [document.getElementById('image').width,
    document.getElementById('image').height]), [32, 32]);
  const same = await compareCanvas(await servedImage(plain, 0), 1);
  assert.equal(same.count, 0, 'exactly the model\'s image');
  const png = exiftool(await download('#save-png'));
  assert.equal(png.ImageWidth, 32);
  assert.equal(png.DigitalSourceType, GENERATED, 'unmarked, but still labelled for machines');
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
});
