#!/usr/bin/env node
// Issue 27: `scripts/cluster.sh 2` as a person runs it: one URL on a line of its own, the editor page and
// its API through HAProxy (answers naming their replica), a foreign Host refused, and SIGTERM stopping every
// process it started.
//   node tests/cluster/cluster-script.test.mjs [--binary B] [--model M]
import { spawn } from 'node:child_process';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Checks, PageStream, api, binary, deadline, model, root, sleep } from './cluster.mjs';

deadline(150, 'cluster.sh');
const checks = new Checks('cluster.sh');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'draggan-cluster-sh-'));
const child = spawn('bash', [path.join(root, 'scripts', 'cluster.sh'), '2', '--model', model, '--threads', '1'], {
  env: { ...process.env, DRAGGAN_PORT: '0', DRAGGAN_BINARY: binary, DRAGGAN_CLUSTER_DIR: dir },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let stdout = '', stderr = '';
child.stderr.on('data', (c) => { stderr += c; });
const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
process.on('exit', () => { try { process.kill(child.pid, 'SIGKILL'); } catch (e) { /* gone */ } });

const url = await new Promise((resolve) => {
  const timer = setTimeout(() => resolve(null), 120000);
  child.stdout.on('data', (c) => {
    stdout += c;
    const m = stdout.match(/^(http:\/\/127\.0\.0\.1:\d+)\/$/m);
    if (m) { clearTimeout(timer); resolve(m[1]); }
  });
  exited.then(() => resolve(null));
});
const pids = () => {
  const env = fs.existsSync(path.join(dir, 'cluster.env')) ? fs.readFileSync(path.join(dir, 'cluster.env'), 'utf8') : '';
  return [...env.matchAll(/_PID=(\d+)/g)].map((m) => Number(m[1]));
};
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return false; } };

try {
  checks.ok(url !== null, `cluster.sh printed no URL line:\n${stdout}\n${stderr.slice(-2000)}`);
  if (url) {
    const page = await api(url, 'GET', '/');
    checks.ok(page.status === 200 && page.body.toString().includes('<html'), `page: ${page.status}`);
    const script = await api(url, 'GET', '/app.js');
    checks.ok(script.status === 200, `app.js: ${script.status}`);
    const created = await api(url, 'POST', '/api/sessions', {});
    checks.ok(created.status === 201 && /^r[12]$/.test(created.replica || ''), `session: ${created.status} from ${created.replica}`);
    const stream = new PageStream(url, created.body.id);
    const state = await stream.waitFor((e) => e.event === 'state', 15000, 'state', true).catch(() => null);
    checks.ok(state && state.replica === created.replica, 'event stream through the balancer');
    stream.close();
    // fetch() will not send another Host: node's http does.
    const foreign = await new Promise((resolve) => {
      const req = http.get(`${url}/api/models`, { headers: { Host: 'evil.example:80' } }, (res) => { res.resume(); resolve(res.statusCode); });
      req.on('error', () => resolve(-1));
    });
    checks.ok(foreign === 403, `foreign Host: ${foreign}`);
    checks.ok(pids().length === 4, `cluster.env lists ${pids().length} pids (redis, haproxy, 2 replicas)`);
  }
  const started = pids();
  child.kill('SIGTERM');
  const code = await Promise.race([exited, sleep(30000).then(() => 'timeout')]);
  checks.ok(code === 143 || code === 0, `cluster.sh exit on SIGTERM: ${code}`);
  await sleep(200);
  const left = started.filter(alive);
  checks.ok(left.length === 0, `processes left running after SIGTERM: ${left}`);
  for (const pid of left) try { process.kill(pid, 'SIGKILL'); } catch (e) { /* gone */ }
} catch (e) {
  checks.ok(false, `unexpected: ${e.stack || e}`);
}
fs.rmSync(dir, { recursive: true, force: true });
process.exit(checks.finish());
