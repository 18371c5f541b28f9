/**
 * The signing record's early path check creates (and removes) a file in the folder instead of
 * asking access(W_OK), which on Windows says yes for folders whose ACL refuses us, and everywhere
 * says yes for a regular file where a folder should be.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRecordPath } from '../../../src/signing-record.js';
import { tempDir } from '../../helpers/temp-dir.js';

const work = tempDir('airsign-record-path-');

describe('checkRecordPath', () => {
  it('accepts a writable folder and leaves nothing behind', async () => {
    await checkRecordPath(join(work, 'rec.json'));
    expect(readdirSync(work)).toEqual([]);
  });

  it('refuses a "folder" that is a writable regular file (access(W_OK) says yes), a missing folder and a directory at the path', async () => {
    writeFileSync(join(work, 'file'), 'x');
    await expect(checkRecordPath(join(work, 'file', 'rec.json'))).rejects.toMatchObject({ code: 'SIGN_RECORD_PATH' });
    await expect(checkRecordPath(join(work, 'missing', 'rec.json'))).rejects.toMatchObject({ code: 'SIGN_RECORD_PATH' });
    await expect(checkRecordPath(work)).rejects.toMatchObject({ code: 'SIGN_RECORD_PATH' });
    expect(readdirSync(work)).toEqual(['file']);
  });
});
