// The editor page, unchanged, through the cluster (issue 27): two replicas behind HAProxy sharing a
// redis-server. A drag is running in the page when the replica driving it is killed (kill -9): the page's event
// stream reconnects through the balancer, new images keep arriving from the other replica, and the drag
// finishes there; the page never reports the session lost. Skipped without redis-server and haproxy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { launchBrowser } from './browser.mjs';

const have = (tool) => { try { execFileSync('sh', ['-c', `command -v ${tool}`]); return true; } catch (e) { return false; } };
const skip = !have('redis-server') || !have('haproxy');

let cluster, browser, page, api;
const pageErrors = [];

before(async () => {
  if (skip) return;
  const lib = await import('../cluster/cluster.mjs');
  api = lib.api;
  cluster = await lib.startCluster(2, { leaseMs: 1500 });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(cluster.balancer.url + '/');
  await page.waitForFunction(() => document.getElementById('connection').textContent === 'connected');
});

after(async () => {
  if (browser) await browser.close();
  if (cluster) await cluster.stop();
});

test('a drag goes on in the page when its replica is killed', { skip: skip && 'needs redis-server and haproxy' }, async () => {
  const LB = cluster.balancer.url;
  const id = await page.evaluate(() => ui.session.id);
  await api(LB, 'POST', `/api/sessions/${id}/points`, { handle: [12, 14], target: [22.5, 9.5] });
  await page.waitForSelector('#points li[data-handle="12,14"]');
  const started = await api(LB, 'POST', `/api/sessions/${id}/start`, { max_steps: 150, params: { lr: 0.005, stop_distance: 0 } });
  assert.equal(started.status, 202);
  await page.waitForFunction(() => Number(document.getElementById('step').textContent) >= 15, null, { timeout: 30000 });
  const owner = cluster.replica(started.replica);
  await owner.kill9();
  const versionAtKill = await page.evaluate(() => Number(document.getElementById('image').dataset.version));
  const stepAtKill = await page.evaluate(() => Number(document.getElementById('step').textContent));
  // Images from the replica that took the drag over.
  await page.waitForFunction((v) => Number(document.getElementById('image').dataset.version) > v + 2, versionAtKill,
    { timeout: 30000 });
  await page.waitForFunction(() => ui.session && !ui.session.running && ui.session.last_drag &&
    ui.session.last_drag.reason === 'max_steps', null, { timeout: 60000 });
  assert.equal(await page.evaluate(() => Number(document.getElementById('step').textContent)) >= stepAtKill, true);
  assert.equal(await page.locator('#connection').textContent(), 'connected');
  assert.equal(await page.locator('#session-lost').isHidden(), true);
  const final = await api(LB, 'GET', `/api/sessions/${id}`);
  assert.equal(final.status, 200);
  assert.notEqual(final.replica, owner.name);
  assert.deepEqual(pageErrors, []);
});
