/** Outputs against inputs by device+inode or resolved path (fs/distinct-files.ts) and the files a key spec reads. */
import { linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isInsideDirectory, refuseOverwritingInputs, resolveFuturePath } from '../../../src/fs/distinct-files.js';
import { keyInputFiles } from '../../../src/keys/key-input-files.js';
import { tempDir } from '../../helpers/temp-dir.js';

const dir = tempDir('airsign-distinct-');

describe('refuseOverwritingInputs', () => {
  it('sees the same file through a symbolic link, a hard link and another spelling, and two new outputs at one path', async () => {
    writeFileSync(join(dir, 'key.pem'), 'k');
    symlinkSync(join(dir, 'key.pem'), join(dir, 'key-link'));
    linkSync(join(dir, 'key.pem'), join(dir, 'key-hard'));
    const inputs = [{ path: join(dir, 'key.pem'), what: 'the key' }];
    for (const path of [join(dir, 'key-link'), join(dir, 'key-hard'), join(dir, '.', '..', dir.split('/').pop()!, 'key.pem')]) {
      await expect(refuseOverwritingInputs([{ path, what: '--record' }], inputs)).rejects.toMatchObject({ code: 'OUTPUT_OVERWRITES_INPUT' });
    }
    await expect(refuseOverwritingInputs([{ path: join(dir, 'new.json'), what: '--output' }, { path: join(dir, 'sub', '..', 'new.json'), what: '--record' }], inputs))
      .rejects.toThrow(/is the same file as --output/);
    await expect(refuseOverwritingInputs([{ path: join(dir, 'other.json'), what: '--record' }, undefined], inputs)).resolves.toBeUndefined();
  });

  it('resolves a path that does not exist yet through the links of its existing part', async () => {
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'alias'));
    expect(await resolveFuturePath(join(dir, 'alias', 'a', 'b'))).toBe(join(await resolveFuturePath(join(dir, 'real')), 'a', 'b'));
    expect(await isInsideDirectory(join(dir, 'alias', 'x'), join(dir, 'real'))).toBe(true);
    expect(await isInsideDirectory(join(dir, 'realx'), join(dir, 'real'))).toBe(false);
  });
});

describe('keyInputFiles', () => {
  it('names a key file, its options, and a pkcs11: URI\'s pin-source and module-path', () => {
    expect(keyInputFiles('key.pem', { certificatePath: 'c.pem', passwordFile: 'pw' }).map((f) => f.path)).toEqual(['key.pem', 'c.pem', 'pw']);
    expect(keyInputFiles('pkcs11:token=a;object=b?module-path=/usr/lib/x.so&pin-source=file:///run/p%20in', { pinFile: 'pin' }).map((f) => f.path))
      .toEqual(['/run/p in', '/usr/lib/x.so', 'pin']);
    expect(keyInputFiles('pkcs11:token=a?pin-source=/run/pin').map((f) => f.path)).toEqual(['/run/pin']);
  });
});
