/**
 * `npm run demo` (scripts/demo.mjs) is the README's first command: it must run the whole pipeline on
 * the bundled sample with SoftHSM and with a file key, leave samples/ untouched and leave no files.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sha256File } from '../helpers/sha256.js';
import { tempDir } from '../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const sampleSha = () => sha256File(join(ROOT, 'samples', 'single.tar'));
const scratch = tempDir('airsign-demo-test-');

function runDemo(env: Record<string, string>): { code: number | null; out: string } {
  const tmp = mkdtempSync(join(scratch, 'tmp-'));
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'demo.mjs')], {
    encoding: 'utf8',
    env: { ...process.env, TMPDIR: tmp, TEMP: tmp, TMP: tmp, ...env },
    timeout: 120_000,
  });
  expect(readdirSync(tmp)).toEqual([]); // the work folder is removed
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

describe('npm run demo', () => {
  const before = sampleSha();

  it('signs on a throw-away SoftHSM token, repacks, and keeps every original blob', () => {
    const { code, out } = runDemo({});
    expect(out).toContain('demo: SoftHSM found');
    expect(out).toMatch(/demo: done\. The repacked, signed tar has every original blob plus \d+ new ones/);
    expect(out).toMatch(/Signature notation sha256:[0-9a-f]{64}: VALID[\s\S]*Verified\./); // step 6, airsign verify
    // The demo PIN (scripts/demo.mjs) is never printed; it has letters, so no hex digest can hold it.
    expect(out).not.toContain('demo-pin-q7');
    expect(code).toBe(0);
  });

  it('falls back to a generated file key', () => {
    const { code, out } = runDemo({ AIRSIGN_DEMO_FILE_KEY: '1' });
    expect(out).toContain('signing with a file key');
    expect(out).toContain('demo: done.');
    expect(out).toContain('Verified.');
    expect(code).toBe(0);
  });

  it('never modifies samples/single.tar', () => {
    expect(sampleSha()).toBe(before);
  });
});
