// The editor page when the server loses its session (deleted by another client, expired, server restarted):
// the page says so and offers the state it kept (the last session.json it fetched) instead of silently
// starting over; restoring brings back the image and the points in a new session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api } from './server.mjs';
import { launchBrowser } from './browser.mjs';

let server;
let browser;
let page;
const pageErrors = [];

before(async () => {
  server = await startServer(['--no-ai-mark']);  // the page's own behaviour; marks.test.mjs has the mark
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.url + '/');
  await page.waitForFunction(() => document.getElementById('connection').textContent === 'connected');
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

const pixels = () => page.evaluate(() => {
  const c = document.getElementById('image');
  return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
});
const listedPoints = () => page.evaluate(() => Array.from(document.querySelectorAll('#points li'))
  .map((li) => [li.dataset.handle, li.dataset.target || null]));

async function clickPixel(x, y) {
  const box = await page.locator('#overlay').boundingBox();
  const width = await page.evaluate(() => document.getElementById('image').width);
  const scale = box.width / width;
  await page.mouse.click(box.x + (x + 0.5) * scale, box.y + (y + 0.5) * scale);
}

test('a lost session is reported and its saved state restored', async () => {
  // An edit: another seed and a handle/target pair.
  const patched = page.waitForResponse((r) => r.request().method() === 'PATCH');
  await page.locator('#seed').fill('5');
  await page.locator('#seed').dispatchEvent('change');
  await patched;
  await clickPixel(12, 20);
  await page.waitForSelector('#points li[data-handle="12,20"]');
  await clickPixel(30, 20);
  await page.waitForSelector('#points li[data-target="30,20"]');
  // The page keeps a copy of session.json once the edit has settled.
  const savedBefore = Number(await page.evaluate(() => document.body.dataset.savedAt || 0));
  await page.waitForFunction((t) => Number(document.body.dataset.savedAt || 0) > t &&
    ui.lastSaved && ui.lastSaved.points === 1, savedBefore, { timeout: 15000 });
  const edited = await pixels();
  const points = await listedPoints();
  const lostId = await page.evaluate(() => ui.session.id);

  // Someone else deletes it (as a server restart or an expiry would lose it).
  const { status } = await api(server.url, 'DELETE', `/api/sessions/${lostId}`);
  assert.equal(status, 200);
  await page.locator('#session-lost').waitFor({ state: 'visible', timeout: 15000 });
  assert.match(await page.locator('#session-lost-text').textContent(), /no longer has this editing session/);
  assert.match(await page.locator('#session-lost-text').textContent(), /1 point/);
  assert.equal(await page.evaluate(() => ui.session.id), lostId, 'no new session was started behind the user\'s back');
  assert.equal(await page.locator('#connection').textContent(), 'session lost');

  await page.locator('#restore-session').click();
  await page.locator('#session-lost').waitFor({ state: 'hidden' });
  await page.waitForFunction(() => document.getElementById('connection').textContent === 'connected');
  const restoredId = await page.evaluate(() => ui.session.id);
  assert.notEqual(restoredId, lostId);
  await page.waitForFunction((v) => Number(document.getElementById('image').dataset.version) === v,
    await page.evaluate(() => ui.session.image_version));
  // The new session's version number may equal the lost one's, and a new session resizes (clears) the canvas
  // before its PNG arrives: wait for the drawn pixels themselves, then compare them exactly.
  const sum = (a) => a.reduce((t, v) => t + v, 0);
  const editedSum = sum(edited);
  await page.waitForFunction((want) => {
    const c = document.getElementById('image');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let t = 0;
    for (const v of d) t += v;
    return t === want;
  }, editedSum, { timeout: 15000 }).catch(() => {});
  assert.deepEqual(await pixels(), edited, 'the same image');
  assert.deepEqual(await listedPoints(), points, 'the same points');
  const { body: state } = await api(server.url, 'GET', `/api/sessions/${restoredId}`);
  assert.equal(state.seed, 5);
  assert.equal(state.points.length, 1);
  assert.deepEqual(pageErrors, []);
});
