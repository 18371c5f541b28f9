/** The lookaside path rule (c/image docker/registries_d.go) and the --lookaside checks. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDockerReference } from '../../../src/formats/docker-reference.js';
import { checkLookasideBase, lookasideDirectory } from '../../../src/formats/gpg/lookaside.js';

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
    const dir = mkdtempSync(join(tmpdir(), 'airsign-lookaside-'));
    await checkLookasideBase(dir);
    await checkLookasideBase(join(dir, 'new', 'deeper'));
  });

  it('refuses a file, and a path under a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airsign-lookaside-'));
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    await expect(checkLookasideBase(file)).rejects.toMatchObject({ code: 'GPG_LOOKASIDE_UNUSABLE', message: `--lookaside ${file} is a file, not a directory` });
    await expect(checkLookasideBase(join(file, 'sub'))).rejects.toMatchObject({ code: 'GPG_LOOKASIDE_UNUSABLE', kind: 'input' });
  });
});
