/**
 * Multi-MiB layers take the copy pipeline: page-aligned chunks, hashed by workers, through the page
 * cache (the default) or sent to the disk directly (AIRSIGN_DIRECT_IO=1: O_DIRECT where the file
 * system allows it), layers stripped two at a time. The bytes must not depend on the path:
 * strip -> repack gives the input back byte for byte either way, GNU tar reads what
 * we write, and a bad byte deep inside a layer still fails cleanly with nothing left behind.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { sha256File } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SCRIPT = fileURLToPath(new URL('../../../scripts/make-samples.mjs', import.meta.url));
const work = tempDir('airsign-large-blobs-');
let sample: string;

beforeAll(() => {
  sample = join(work, 'sample.tar');
  // 3 layers of ~5 MiB: above the 1 MiB aligned-copy threshold, several 4 MiB chunks each, and
  // data offsets in the tar that are 512- but not 4096-aligned.
  execFileSync(process.execPath, [SCRIPT, '--size', '15MiB', '--layers', '3', '--output', sample]);
});

function layerFiles(dir: string): string[] {
  return readdirSync(join(dir, 'sha256')).filter((n) => /^[a-f0-9]{64}$/.test(n)).sort();
}

describe.each([
  ['page cache, the default', {}],
  ['direct I/O on', { AIRSIGN_DIRECT_IO: '1' }],
])('large layers (%s)', (label, extraEnv) => {
  const env = { ...process.env, ...extraEnv };

  it('strip -> repack gives the input back byte for byte; every layer file is its digest', () => {
    const dir = mkdtempSync(join(work, 'rt-'));
    const stripped = join(dir, 'stripped.tar');
    const layers = join(dir, 'layers');
    const s = runCli(['strip', sample, '--directory', layers, '--output', stripped], { env });
    expect(s.code, s.stderr).toBe(0);
    const files = layerFiles(layers);
    expect(files).toHaveLength(3);
    for (const hex of files) expect(sha256File(join(layers, 'sha256', hex)), label).toBe(hex);
    const repacked = join(dir, 'repacked.tar');
    const r = runCli(['repack', stripped, '--directory', layers, '--output', repacked], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(sha256File(repacked)).toBe(sha256File(sample));
    // A peer we did not write reads every member back.
    const listed = execFileSync('tar', ['tvf', repacked], { encoding: 'utf8' });
    for (const hex of files) expect(listed).toContain(`blobs/sha256/${hex}`);
  });

  it('a flipped byte deep inside one layer fails strip with exit 2 and leaves no layer file, output or temp file', () => {
    const dir = mkdtempSync(join(work, 'bad-'));
    const input = join(dir, 'image.tar');
    copyFileSync(sample, input);
    const before = sha256File(input);
    // Find the second layer's data in the tar and flip a byte 4.5 MiB into it.
    const listing = execFileSync('tar', ['tvf', input, '--block-number'], { encoding: 'utf8' }).trim().split('\n');
    const bigEntries = listing.map((line) => /^block (\d+): \S+ \S+ +(\d+) .* (blobs\/sha256\/[a-f0-9]{64})$/.exec(line)).filter((m) => m !== null && Number(m[2]) > 4 * 1024 * 1024);
    expect(bigEntries).toHaveLength(3);
    const dataOffset = (Number(bigEntries[1]![1]) + 1) * 512;
    const fd = openSync(input, 'r+');
    const at = dataOffset + 4.5 * 1024 * 1024;
    writeSync(fd, Buffer.from([readFileSync(input)[at]! ^ 0xff]), 0, 1, at);
    closeSync(fd);
    const corrupted = sha256File(input);
    expect(corrupted).not.toBe(before);
    const layers = join(dir, 'layers');
    const out = join(dir, 'out.tar');
    const r = spawnSync(process.execPath, [fileURLToPath(new URL('../../../bin/airsign.js', import.meta.url)), 'strip', input, '--directory', layers, '--output', out], { env, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/does not match its digest/);
    expect(sha256File(input)).toBe(corrupted);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(existsSync(layers) ? ['image.tar', 'layers'] : ['image.tar']);
    if (existsSync(join(layers, 'sha256'))) expect(readdirSync(join(layers, 'sha256'))).toEqual([]);
  });
});
