/**
 * The OpenPGP rules GPG simple signing must share with gpgme and skopeo, on signatures GnuPG made
 * (test/fixtures/openpgp-matrix, from make-gpg-signature-matrix.sh): brainpool, DSA and BZip2 are
 * verified; a message with two signatures or its packets in an order gpgme does not verify is
 * refused; a primary key whose newest self-signature dropped the sign flag cannot sign; and every
 * refusal names its real cause.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAirsignError } from '../../../src/errors.js';
import { parseKeyring } from '../../../src/formats/openpgp/keyring.js';
import { verifyOpenPgpMessage } from '../../../src/formats/openpgp/verify-message.js';
import { parsePublicKey } from '../../../src/formats/openpgp/signature-check.js';

const DIR = new URL('../../fixtures/openpgp-matrix/', import.meta.url).pathname;
const keyring = parseKeyring(readFileSync(join(DIR, 'pubring.gpg')), 'pubring.gpg');
const payload = readFileSync(join(DIR, 'payload.json'), 'utf8');
const cases = new Map(readFileSync(join(DIR, 'cases.tsv'), 'utf8').trim().split('\n').map((l) => {
  const [name, fingerprint, file] = l.split('\t') as [string, string, string];
  return [name, { fingerprint, file }];
}));

function verify(name: string) {
  const c = cases.get(name)!;
  return verifyOpenPgpMessage(new Uint8Array(readFileSync(join(DIR, c.file))), keyring);
}
function refusal(name: string): { code: string; message: string } {
  try {
    verify(name);
  } catch (e) {
    if (isAirsignError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error(`${name} was accepted`);
}

describe('OpenPGP verification as gpgme decides it', () => {
  it.each(['rsa2048', 'nistp521', 'brainpoolP256r1', 'brainpoolP384r1', 'brainpoolP512r1', 'dsa2048', 'dsa2048-sha512', 'ed25519-bzip2', 'rsa2048-bzip2', 'dsa2048-bzip2', 'signature-first', 'subkey'])('accepts %s', (name) => {
    const m = verify(name);
    expect(new TextDecoder().decode(m.content)).toBe(payload);
    expect(m.primaryFingerprint).toBe(cases.get(name)!.fingerprint);
  });

  it('verifies a cleartext signed message (gpg --clearsign) as gpgme does', () => {
    const clear = readFileSync(join(DIR, 'ed25519-clearsign.sig'), 'utf8');
    const lines = clear.split('\n');
    const check = (text: string) => verifyOpenPgpMessage(new TextEncoder().encode(text), keyring);
    expect(new TextDecoder().decode(check(clear).content)).toBe(payload);
    // Trailing blanks are not signed; a changed character is; an unescaped dash line is not cleartext.
    expect(check(lines.map((l, i) => (i === 3 ? `${l} \t ` : l)).join('\n')).primaryFingerprint).toBe(cases.get('ed25519-clearsign')!.fingerprint);
    expect(() => check(clear.replace('"creator":"matrix"', '"creator":"matriy"'))).toThrow(/changed/);
    expect(() => check(lines.map((l, i) => (i === 3 ? `-${l}` : l)).join('\n'))).toThrow(/dash that is not escaped/);
  });

  it('refuses a truncated BZip2 message as corrupt', () => {
    const bz = readFileSync(join(DIR, cases.get('ed25519-bzip2')!.file));
    // gpg writes the compressed packet with an indeterminate length (0xa3): the cut falls inside the bzip2 stream.
    expect(() => verifyOpenPgpMessage(new Uint8Array(bz.subarray(0, bz.length - 20)), keyring)).toThrow(/compressed data is corrupt/);
  });

  it('refuses two signatures in one message', () => {
    expect(refusal('two-signatures')).toMatchObject({ code: 'OPENPGP_MESSAGE_MALFORMED', message: expect.stringMatching(/holds 2 signatures/) });
    expect(refusal('onepass-literal-two-signatures').message).toMatch(/holds 2 signatures/);
  });

  it('refuses packets in an order gpgme does not verify', () => {
    expect(refusal('onepass-signature-literal').message).toMatch(/order gpgme does not verify \(one-pass signature, signature, literal data\)/);
    expect(refusal('literal-signature').message).toMatch(/order gpgme does not verify \(literal data, signature\)/);
  });

  it('a primary key whose newest self-signature dropped the sign flag cannot sign (gpg: wrong key usage)', () => {
    expect(keyring.find((k) => k.primary.fingerprint === cases.get('usage-dropped')!.fingerprint)!.canSign).toBe(false);
    expect(refusal('usage-dropped')).toMatchObject({ code: 'OPENPGP_KEY_USAGE', message: expect.stringMatching(/wrong key usage/) });
  });

  it('a changed byte is "changed"; an algorithm airsign lacks is named, not called a change', () => {
    expect(refusal('tampered')).toMatchObject({ code: 'OPENPGP_SIGNATURE_INVALID', message: expect.stringMatching(/changed/) });
    // An ECDSA key on secp256k1 (OID 1.3.132.0.10): parsed, but no verifier.
    const point = Uint8Array.from([0x04, ...new Array<number>(64).fill(1)]);
    const body = Uint8Array.from([4, 0, 0, 0, 0, 19, 5, 0x2b, 0x81, 0x04, 0x00, 0x0a, 0x02, 0x08, ...point]);
    const key = parsePublicKey(body, 'OPENPGP_KEYRING_INVALID', 'test');
    expect(key.describe).toBe('ECDSA curve OID 2b8104000a');
    expect(key.key).toBeUndefined();
  });
});
