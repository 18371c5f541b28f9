/**
 * PIN/passphrase files as Windows editors and shells write them (bytes in
 * test/fixtures/secret-files/): byte-order marks and UTF-16 are decoded, one line break is
 * stripped, a trailing space is refused unless the caller says it is meant.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readSecretFile, resolveSecret } from '../../../src/keys/secret-source.js';
import { tempDir } from '../../helpers/temp-dir.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/secret-files/', import.meta.url));
const fixture = (name: string): string => join(FIXTURES, name);
const work = tempDir('airsign-secret-');

function file(name: string, bytes: Uint8Array | string): string {
  const path = join(work, name);
  writeFileSync(path, bytes);
  return path;
}

describe('readSecretFile', () => {
  it.each(['powershell-5.1-redirect.pin', 'notepad-utf8-bom.pin', 'utf16be-bom.pin', 'unix-lf.pin'])('%s holds 1234', async (name) => {
    await expect(readSecretFile(fixture(name), 'PIN')).resolves.toBe('1234');
  });

  it("refuses cmd's `echo 1234 > pin.txt` (trailing space) without quoting it, unless the space is meant", async () => {
    const error = await readSecretFile(fixture('cmd-echo-redirect.pin'), 'PIN').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'KEY_SECRET_FILE_TRAILING_SPACE', kind: 'key', message: expect.stringContaining('options.trailingSpaceIsSecret') });
    expect((error as Error).message).not.toContain('1234');
    await expect(readSecretFile(fixture('cmd-echo-redirect.pin'), 'PIN', { trailingSpaceIsSecret: true })).resolves.toBe('1234 ');
  });

  it('strips exactly one trailing line break; a tab, a second line break or a lone CR is refused', async () => {
    await expect(readSecretFile(file('crlf', 'pa ss\r\n'), 'passphrase')).resolves.toBe('pa ss');
    for (const text of ['1234\t', '1234\n\n', '1234\r\n\r\n', '1234\r']) {
      await expect(readSecretFile(file('bad', text), 'PIN'), JSON.stringify(text)).rejects.toMatchObject({ code: 'KEY_SECRET_FILE_TRAILING_SPACE' });
    }
  });

  it('refuses bytes that are not UTF-8 and UTF-16 without a byte-order mark', async () => {
    await expect(readSecretFile(file('latin1', Buffer.from('gr\xfcn', 'latin1')), 'PIN')).rejects.toMatchObject({ code: 'KEY_SECRET_FILE_ENCODING' });
    await expect(readSecretFile(file('utf16-nobom', Buffer.from('1234', 'utf16le')), 'PIN')).rejects.toMatchObject({ code: 'KEY_SECRET_FILE_ENCODING' });
    await expect(readSecretFile(file('odd-utf16', Buffer.from([0xff, 0xfe, 0x31])), 'PIN')).rejects.toMatchObject({ code: 'KEY_SECRET_FILE_ENCODING' });
  });

  it('resolveSecret passes trailingSpaceIsSecret on to the file it reads', async () => {
    const request = { what: 'passphrase', missingCode: 'KEY_PASSPHRASE_REQUIRED' as const, envNames: [], file: fixture('cmd-echo-redirect.pin') };
    await expect(resolveSecret(request)).rejects.toMatchObject({ code: 'KEY_SECRET_FILE_TRAILING_SPACE' });
    await expect(resolveSecret({ ...request, trailingSpaceIsSecret: true })).resolves.toBe('1234 ');
  });
});
