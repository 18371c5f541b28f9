import { spawnSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSmallFile } from '../../../src/fs/read-small-file.js';
import { tempDir } from '../../helpers/temp-dir.js';

const work = tempDir('airsign-read-small-');
const options = { maxBytes: 16, code: 'STRIP_DIR_BAD_RECORD' } as const;

describe('readSmallFile', () => {
  it('reads a regular file (also through a link) up to the limit', async () => {
    writeFileSync(join(work, 'ok.json'), '{"a":1}');
    symlinkSync(join(work, 'ok.json'), join(work, 'link.json'));
    expect(Buffer.from(await readSmallFile(join(work, 'link.json'), options)).toString()).toBe('{"a":1}');
  });

  it('refuses a larger file, a device, a FIFO and a missing file with the given code, in words', async () => {
    writeFileSync(join(work, 'big.json'), 'x'.repeat(17));
    await expect(readSmallFile(join(work, 'big.json'), options)).rejects.toMatchObject({ code: 'STRIP_DIR_BAD_RECORD', message: expect.stringContaining('larger than 16 bytes') });
    symlinkSync('/dev/zero', join(work, 'zero.json'));
    await expect(readSmallFile(join(work, 'zero.json'), options)).rejects.toMatchObject({ code: 'STRIP_DIR_BAD_RECORD', message: expect.stringContaining('not a regular file') });
    if (spawnSync('mkfifo', [join(work, 'fifo.json')]).status === 0) {
      await expect(readSmallFile(join(work, 'fifo.json'), options)).rejects.toMatchObject({ message: expect.stringContaining('not a regular file') });
    }
    await expect(readSmallFile(join(work, 'none.json'), options)).rejects.toMatchObject({ message: `${join(work, 'none.json')}: no such file` });
  });
});
