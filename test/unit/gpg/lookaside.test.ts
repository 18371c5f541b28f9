/** The lookaside path rule (c/image docker/registries_d.go), the --lookaside checks, and reading signature-N back. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDockerReference } from '../../../src/formats/docker-reference.js';
import { checkLookasideBase, lookasideDirectory, readLookasideSignatures } from '../../../src/formats/gpg/lookaside.js';
import { testTempDir } from '../../helpers/temp-dir.js';

const HEX = 'ab'.repeat(32);

describe('lookasideDirectory', () => {
  it.each([
    ['127.0.0.1:5000/gpgtest:v1', 'gpgtest'],
    ['app:1.4', 'library/app'],
    ['registry.example.com/team/tools/app', 'team/tools/app'],
  ])('%s → <base>/%s@sha256=<hex>', (identity, path) => {
    expect(lookasideDirectory('/sigs', parseDockerReference(identity), `sha256:${HEX}`)).toBe(join('/sigs', `${path}@sha256=${HEX}`));
  });
});

describe('checkLookasideBase', () => {
  it('accepts an existing directory and a path not yet created under one', async () => {
    const dir = testTempDir('airsign-lookaside-');
    await checkLookasideBase(dir);
    await checkLookasideBase(join(dir, 'new', 'deeper'));
  });

  it('refuses a file, and a path under a file', async () => {
    const dir = testTempDir('airsign-lookaside-');
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    await expect(checkLookasideBase(file)).rejects.toMatchObject({ code: 'GPG_LOOKASIDE_UNUSABLE', message: `options.lookaside ${file} is a file, not a directory`, details: { option: 'lookaside' } });
    await expect(checkLookasideBase(join(file, 'sub'))).rejects.toMatchObject({ code: 'GPG_LOOKASIDE_UNUSABLE', kind: 'input' });
  });
});

describe('readLookasideSignatures', () => {
  const ref = parseDockerReference('registry.example.com/team/app:1');
  it('reads signature-1, signature-2, … up to the first missing number; none without the directory', async () => {
    const base = testTempDir('airsign-lookaside-');
    expect(await readLookasideSignatures(base, ref, `sha256:${HEX}`)).toEqual([]);
    const dir = lookasideDirectory(base, ref, `sha256:${HEX}`);
    mkdirSync(dir, { recursive: true });
    for (const n of [1, 2, 4]) writeFileSync(join(dir, `signature-${n}`), `sig ${n}`);
    const found = await readLookasideSignatures(base, ref, `sha256:${HEX}`);
    expect(found.map((f) => [f.path, Buffer.from(f.bytes).toString()])).toEqual([[join(dir, 'signature-1'), 'sig 1'], [join(dir, 'signature-2'), 'sig 2']]);
  });

  it('a signature-N that exists but is not a readable file is an input error naming it', async () => {
    const base = testTempDir('airsign-lookaside-');
    const dir = lookasideDirectory(base, ref, `sha256:${HEX}`);
    mkdirSync(join(dir, 'signature-1'), { recursive: true });
    await expect(readLookasideSignatures(base, ref, `sha256:${HEX}`)).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND', message: expect.stringContaining('signature-1') as unknown });
  });
});
