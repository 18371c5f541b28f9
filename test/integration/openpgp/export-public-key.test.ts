import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportOpenPgpPublicKey, openPgpFingerprint } from '../../../src/formats/openpgp/export-public-key.js';
import { signOpenPgpMessage } from '../../../src/formats/openpgp/sign-message.js';
import { crc24 } from '../../../src/formats/openpgp/armor.js';
import { mpi } from '../../../src/formats/openpgp/packets.js';
import type { KeyBackend, KeyType } from '../../../src/key-backend.js';
import { gpg, gpgFingerprints, gpgHome } from '../../helpers/gpg.js';
import { generateFileKey } from '../../helpers/pem-test-key.js';
import { tempDir } from '../../helpers/temp-dir.js';

const dir = tempDir('airsign-openpgp-');

const types: KeyType[] = ['ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa-2048', 'rsa-3072', 'ed25519'];

describe('exportOpenPgpPublicKey with file keys', () => {
  it.each(types)('%s: gpg imports it, fingerprints agree, signed messages verify', async (type) => {
    const key: KeyBackend = await generateFileKey(dir, type, type);
    const exported = await exportOpenPgpPublicKey(key, { userId: 'Release Signer <release@example.com>' });
    const home = gpgHome();
    const imported = gpg(home, ['--import'], exported);
    expect(imported.stderr).toContain('imported: 1');
    expect(imported.code).toBe(0);
    const fingerprint = await openPgpFingerprint(key);
    expect(gpgFingerprints(home)).toEqual([fingerprint]);
    const listed = gpg(home, ['--with-colons', '--list-keys']).stdout;
    expect(listed).toMatch(/^uid:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:Release Signer <release@example.com>:/m);
    expect(listed).toMatch(/^pub:[^:]*:[^:]*:[^:]*:[^:]*:946684800:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[a-zA-Z]*s[a-zA-Z]*:/m);
    // gpg checks the self-signature itself.
    const checked = gpg(home, ['--check-signatures', fingerprint]);
    expect(checked.stdout).toMatch(/sig!3?\s/);
    expect(checked.stderr).toContain('1 good signature');

    // Exporting twice gives the same key packet; deterministic signers give identical bytes.
    const again = await exportOpenPgpPublicKey(key, { userId: 'Release Signer <release@example.com>' });
    expect(Buffer.from(again).equals(Buffer.from(exported))).toBe(true);

    // A signed message (the GPG simple-signing shape) verifies with gpg.
    const payload = new TextEncoder().encode('{"critical":{},"optional":{}}');
    const message = await signOpenPgpMessage(key, payload, { timestamp: 1_700_000_000 });
    expect([0x90, 0x91, 0x92, 0xc4]).toContain(message[0]);
    const sigPath = join(dir, `${type}.sig`);
    writeFileSync(sigPath, message);
    const verified = gpg(home, ['--status-fd', '1', '--decrypt', sigPath]);
    expect(verified.stdout).toContain(`[GNUPG:] VALIDSIG ${fingerprint}`);
    expect(verified.stdout).toContain('{"critical":{},"optional":{}}');
    const tampered = Uint8Array.from(message);
    // Flip a byte inside the signed payload. (Searching for a lone '{' byte could land in the
    // one-pass packet's key ID, which the signature does not cover: a random key made this flaky.)
    const payloadAt = Buffer.from(message).indexOf(Buffer.from(payload));
    expect(payloadAt).toBeGreaterThan(0);
    tampered[payloadAt + 2]! ^= 0x01;
    writeFileSync(sigPath, tampered);
    const bad = gpg(home, ['--status-fd', '1', '--decrypt', sigPath]);
    expect(bad.stdout).toContain('[GNUPG:] BADSIG');
    expect(bad.code).not.toBe(0);
  });

  it('armors with a correct CRC-24 that gpg accepts', async () => {
    const key = await generateFileKey(dir, 'armor', 'ecdsa-p256');
    const armored = new TextDecoder().decode(await exportOpenPgpPublicKey(key, { userId: 'A <a@example.com>', armor: true }));
    expect(armored.startsWith('-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n')).toBe(true);
    expect(armored.trimEnd().endsWith('-----END PGP PUBLIC KEY BLOCK-----')).toBe(true);
    const home = gpgHome();
    expect(gpg(home, ['--import'], new TextEncoder().encode(armored)).code).toBe(0);
    expect(gpgFingerprints(home)).toEqual([await openPgpFingerprint(key)]);
    // Corrupting the checksum makes gpg refuse it.
    const broken = armored.replace(/\n=(.)/, (_m, c: string) => `\n=${c === 'A' ? 'B' : 'A'}`);
    const home2 = gpgHome();
    const r = gpg(home2, ['--import'], new TextEncoder().encode(broken));
    expect(r.stderr).toMatch(/CRC error|invalid armor|no valid OpenPGP data/i);
  });

  it('rejects an empty or multi-line user ID', async () => {
    const key = await generateFileKey(dir, 'uid', 'ed25519');
    await expect(exportOpenPgpPublicKey(key, { userId: '  ' })).rejects.toMatchObject({ kind: 'input', code: 'OPENPGP_USER_ID_INVALID' });
    await expect(exportOpenPgpPublicKey(key, { userId: 'a\nb' })).rejects.toMatchObject({ code: 'OPENPGP_USER_ID_INVALID' });
  });
});

describe('OpenPGP encodings', () => {
  it('CRC-24 of RFC test input', () => {
    expect(crc24(new TextEncoder().encode('123456789')).toString(16)).toBe('21cf02');
  });
  it('MPIs strip leading zeros and count bits', () => {
    expect(Array.from(mpi(Uint8Array.of(0, 0, 1)))).toEqual([0, 1, 1]);
    expect(Array.from(mpi(Uint8Array.of(0x04, 0xff)))).toEqual([0, 11, 4, 0xff]);
    expect(Array.from(mpi(Uint8Array.of(0)))).toEqual([0, 0]);
  });
});
