import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../src/fs/atomic-write.js';
import { fsErrorText } from '../../../src/fs/fs-error-text.js';
import { openSameFile } from '../../../src/fs/output-file.js';
import { checkOutputTarget } from '../../../src/fs/output-target.js';
import { tempDir } from '../../helpers/temp-dir.js';

const work = tempDir('airsign-output-target-');

describe('checkOutputTarget', () => {
  it('accepts a new file in an existing directory and an existing regular file', async () => {
    await checkOutputTarget(join(work, 'new.tar'));
    writeFileSync(join(work, 'old.tar'), 'x');
    await checkOutputTarget(join(work, 'old.tar'));
  });

  it('refuses a symbolic link, a device, a directory and a missing directory, naming the user path', async () => {
    symlinkSync(join(work, 'old.tar'), join(work, 'link.tar'));
    await expect(checkOutputTarget(join(work, 'link.tar'))).rejects.toMatchObject({ code: 'OUTPUT_NOT_A_FILE', message: expect.stringContaining('symbolic link') });
    await expect(checkOutputTarget('/dev/null')).rejects.toMatchObject({ code: 'OUTPUT_NOT_A_FILE', message: 'output /dev/null is not a regular file' });
    await expect(checkOutputTarget(work)).rejects.toMatchObject({ code: 'OUTPUT_IS_DIRECTORY' });
    await expect(checkOutputTarget('/missing/dir/out.tar')).rejects.toMatchObject({
      code: 'OUTPUT_WRITE_FAILED',
      message: 'cannot write /missing/dir/out.tar: the directory /missing/dir does not exist',
    });
  });

  it('is what writeFileAtomic checks first: a link is left as it was', async () => {
    await expect(writeFileAtomic(join(work, 'link.tar'), 'new')).rejects.toMatchObject({ code: 'OUTPUT_NOT_A_FILE' });
  });
});

describe('fsErrorText', () => {
  it('puts errno codes in words', () => {
    expect(fsErrorText(Object.assign(new Error('ENOENT: no such file or directory, open x'), { code: 'ENOENT' }))).toBe('no such file');
    expect(fsErrorText(Object.assign(new Error('x'), { code: 'ENOSPC' }))).toBe('no space left on device');
    expect(fsErrorText(Object.assign(new Error('EWHAT: something odd, open'), { code: 'EWHAT' }))).toBe('something odd');
  });
});

describe('openSameFile (the second, direct-I/O open of a temp file)', () => {
  it('opens the same file, and refuses a name that now is a link or another file', async () => {
    const path = join(work, 'temp');
    const first = await open(path, 'wx');
    const same = await openSameFile(path, first, constants.O_WRONLY);
    expect(same).toBeDefined();
    await same!.close();
    // Someone swaps the name for another file…
    writeFileSync(join(work, 'other'), 'x');
    await rename(join(work, 'other'), path);
    expect(await openSameFile(path, first, constants.O_WRONLY)).toBeUndefined();
    // …or for a link to the original: O_NOFOLLOW refuses it.
    rmSync(path);
    symlinkSync(join(work, 'old.tar'), path);
    expect(await openSameFile(path, first, constants.O_WRONLY)).toBeUndefined();
    await first.close();
  });
});
