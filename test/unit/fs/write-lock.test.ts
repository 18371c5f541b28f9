import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockPathFor } from '../../../src/fs/file-lock.js';
import { withWriteLock } from '../../../src/fs/write-lock.js';
import { tempDir } from '../../helpers/temp-dir.js';

const work = tempDir('airsign-write-lock-');

describe('withWriteLock', () => {
  it('holds the lock of the replaced file while the work runs, and releases it', async () => {
    const input = join(work, 'a.tar');
    writeFileSync(input, 'tar');
    await withWriteLock({ source: input }, async (guard) => {
      expect(existsSync(lockPathFor(input))).toBe(true);
      await guard.checkUnchanged();
    });
    expect(readdirSync(work)).toEqual(['a.tar']);
  });

  it('refuses to replace an input that another program replaced meanwhile (LAYOUT_CHANGED)', async () => {
    const input = join(work, 'b.tar');
    writeFileSync(input, 'tar');
    await expect(
      withWriteLock({ source: input }, async (guard) => {
        writeFileSync(join(work, 'other'), 'signed by someone else');
        await rename(join(work, 'other'), input);
        await guard.checkUnchanged();
      }),
    ).rejects.toMatchObject({ code: 'LAYOUT_CHANGED' });
    expect(existsSync(lockPathFor(input))).toBe(false);
  });

  it('locks the --output, not the input, when writing elsewhere, and the strip directory too', async () => {
    const input = join(work, 'c.tar');
    writeFileSync(input, 'tar');
    await withWriteLock({ source: input, output: join(work, 'out.tar'), alsoLock: [join(work, 'layers')] }, async (guard) => {
      expect(existsSync(lockPathFor(join(work, 'out.tar')))).toBe(true);
      expect(existsSync(lockPathFor(join(work, 'layers')))).toBe(true);
      expect(existsSync(lockPathFor(input))).toBe(false);
      writeFileSync(input, 'changed, but not ours to replace');
      await guard.checkUnchanged();
    });
  });
});

describe('one lock per file, whatever name reaches it', () => {
  it('a strip directory reached through a symbolic link takes the same lock as its real path', async () => {
    const real = join(work, 'real-layers');
    mkdirSync(real);
    symlinkSync(real, join(work, 'link-layers'));
    writeFileSync(join(work, 'd.tar'), 'tar');
    writeFileSync(join(work, 'e.tar'), 'tar');
    await withWriteLock({ source: join(work, 'd.tar'), alsoLock: [real] }, async () => {
      await expect(withWriteLock({ source: join(work, 'e.tar'), alsoLock: [join(work, 'link-layers')], lockWaitMs: 0 }, async () => {})).rejects.toMatchObject({
        code: 'LAYOUT_LOCKED',
      });
    });
  });
});
