/**
 * A tar that went through a PowerShell 5.1 pipe or `>` (decoded as text, written as UTF-16LE with
 * a byte-order mark) is named as such at the first header, with the way out (a file or -o).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openRandomAccess } from '../../../src/tar/random-access.js';
import { indexTar } from '../../../src/tar/tar-index.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLE = fileURLToPath(new URL('../../../samples/single.tar', import.meta.url));
const work = tempDir('airsign-reencoded-');

async function indexOf(bytes: Uint8Array): Promise<unknown> {
  const path = join(work, `t${Math.random().toString(36).slice(2)}.tar`);
  writeFileSync(path, bytes);
  const file = await openRandomAccess(path);
  try {
    return await indexTar(file, path);
  } finally {
    await file.close();
  }
}

describe('re-encoded tars', () => {
  const tar = readFileSync(SAMPLE);
  it('a UTF-16LE byte-order mark at the start: TAR_REENCODED naming PowerShell and -o', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(tar.subarray(0, 4096).toString('latin1'), 'utf16le')]);
    await expect(indexOf(utf16)).rejects.toMatchObject({ code: 'TAR_REENCODED', kind: 'input', message: expect.stringMatching(/PowerShell pipes re-encode bytes/) });
    await expect(indexOf(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), tar]))).rejects.toMatchObject({ code: 'TAR_REENCODED' });
  });

  it('a mangled first header says the same; the intact tar indexes', async () => {
    const mangled = Buffer.from(tar);
    mangled[10] = 0x3f; // a byte replaced by "?" as an ASCII re-encoding does
    await expect(indexOf(mangled)).rejects.toMatchObject({ code: 'TAR_NOT_A_TAR', message: expect.stringContaining('PowerShell pipes re-encode bytes') });
    expect((await indexOf(tar)) as object).toHaveProperty('entries');
  });
});
