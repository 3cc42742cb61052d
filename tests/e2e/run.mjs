// CTest entry point of the browser suite: runs `node --test` on the suites here, or exits 77 (CTest: skipped)
// with the reason when what it needs is missing (playwright-core not installed by `npm ci`, no chromium).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumPath } from './browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const skip = (why) => { console.log(`SKIPPED: ${why}`); process.exit(77); };

if (!fs.existsSync(path.join(here, 'node_modules', 'playwright-core')))
  skip(`playwright-core is not installed: run \`npm ci\` in ${here} (scripts/test.sh does)`);
if (!fs.existsSync(chromiumPath)) skip(`no browser at ${chromiumPath}: apt-get install chromium (or set CHROMIUM)`);

const suites = process.argv.slice(2).length ? process.argv.slice(2)
  : fs.readdirSync(here).filter((f) => f.endsWith('.test.mjs')).map((f) => path.join(here, f));
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...suites], { stdio: 'inherit', cwd: here });
process.exit(result.status ?? 1);
