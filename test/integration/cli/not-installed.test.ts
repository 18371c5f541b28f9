/**
 * `node bin/airsign.js` in a clone before `npm ci` (no dist/, or dist/'s modules without
 * node_modules/): one line saying to run npm ci, exit 70, no module stack.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { AIRSIGN_BIN } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp-dir.js';

const DIST = new URL('../../../dist/', import.meta.url).pathname;
const work = tempDir('airsign-not-installed-');

function runIn(root: string) {
  // The module path (the bundle dist/airsign.cjs carries yargs inside and needs no node_modules/).
  return spawnSync(process.execPath, [join(root, 'bin', 'airsign.js'), '--help'], { encoding: 'utf8', env: { ...process.env, AIRSIGN_CLI_MODULES: '1' } });
}

it.each([
  ['no dist/', false, /Cannot find module .*dist\/cli\/main\.js/],
  ['dist/ but no node_modules/', true, /Cannot find package 'yargs'/],
])('%s: one line naming npm ci, exit 70', (name, withDist, cause) => {
  const root = join(work, name.replace(/\W+/g, '-'));
  mkdirSync(join(root, 'bin'), { recursive: true });
  cpSync(AIRSIGN_BIN, join(root, 'bin', 'airsign.js'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
  if (withDist) cpSync(DIST, join(root, 'dist'), { recursive: true });
  const r = runIn(root);
  expect(r.status).toBe(70);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n');
  expect(lines, r.stderr).toHaveLength(2);
  expect(lines[0]).toMatch(/^airsign: not installed yet \(/);
  expect(lines[0]).toMatch(cause);
  expect(lines[0]).toMatch(/run `npm ci` in /);
});
