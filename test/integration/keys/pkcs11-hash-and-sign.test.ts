/**
 * A token that offers only hash-and-sign mechanisms (CKM_ECDSA_SHA256…, CKM_SHA256_RSA_PKCS…,
 * CKM_SHA256_RSA_PKCS_PSS…), as several network and cloud HSMs do: SoftHSM's slots.mechanisms
 * allow-list, read at C_Initialize (own test file = own process). Signing a message picks the
 * mechanism for the scheme's hash, OpenPGP included (it hands the key the signed data, not its
 * digest), and gpg verifies the result; signing a bare digest cannot, and says which mechanisms
 * it wanted and which the token offers. SoftHSM 2.6 has no CKM_ECDSA_SHA*: its EC keys
 * show the error for a token with no fitting mechanism (the EC choice itself is unit-tested in
 * test/unit/keys/pkcs11-mechanism-choice.test.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKey } from '../../../src/keys/open-key.js';
import { exportOpenPgpPublicKey } from '../../../src/formats/openpgp/export-public-key.js';
import { signOpenPgpMessage } from '../../../src/formats/openpgp/sign-message.js';
import { gpg, gpgHome } from '../../helpers/gpg.js';
import { finalizePkcs11Modules } from '../../../src/keys/pkcs11/pkcs11-session-manager.js';
import { encodePem } from '../../../src/pem.js';
import { createSoftHsm, type SoftHsm } from '../../helpers/softhsm.js';
import { nodeVerifies, opensslVerifies, rejectionOf, schemesFor } from '../../helpers/signature-peers.js';

let hsm: SoftHsm;
const HASH_AND_SIGN = [
  'CKM_ECDSA_SHA256', 'CKM_ECDSA_SHA384', 'CKM_ECDSA_SHA512',
  'CKM_SHA256_RSA_PKCS', 'CKM_SHA384_RSA_PKCS', 'CKM_SHA512_RSA_PKCS',
  'CKM_SHA256_RSA_PKCS_PSS', 'CKM_SHA384_RSA_PKCS_PSS', 'CKM_SHA512_RSA_PKCS_PSS',
];

beforeAll(() => {
  hsm = createSoftHsm([{ label: 'cloud', keys: [{ type: 'EC:secp384r1', id: '02', label: 'ec384' }, { type: 'rsa:2048', id: '03', label: 'rsa' }] }]);
  const restricted = join(hsm.dir, 'hash-and-sign.conf');
  writeFileSync(restricted, readFileSync(hsm.conf, 'utf8').replace(/^slots\.mechanisms = .*$/m, `slots.mechanisms = ${HASH_AND_SIGN.join(',')}`));
  process.env.SOFTHSM2_CONF = restricted;
});

afterAll(() => finalizePkcs11Modules());

describe('a token with hash-and-sign mechanisms only', () => {
  for (const [label, keyType] of [['rsa', 'rsa-2048']] as const) {
    it(`${label}: every scheme signs through the token's hash-and-sign mechanism and verifies with node and openssl`, async () => {
      const key = await openKey(`pkcs11:token=cloud;object=${label}?module-path=${hsm.module}&pin-value=${hsm.pin}`);
      expect(key.keyType).toBe(keyType);
      const spki = await key.publicKeySpki();
      const pem = encodePem('PUBLIC KEY', spki);
      for (const scheme of schemesFor(keyType)) {
        const message = new TextEncoder().encode(`hash-and-sign ${label} ${JSON.stringify(scheme)}`);
        const sig = await key.sign(message, scheme);
        expect(nodeVerifies(spki, message, sig, scheme), JSON.stringify(scheme)).toBe(true);
        expect(opensslVerifies(pem, message, sig, scheme), `${JSON.stringify(scheme)} openssl`).toBe(true);
      }
    });
  }

  it('rsa: an OpenPGP key and a simple-signing message made on the token, verified by gpg', async () => {
    const key = await openKey(`pkcs11:token=cloud;object=rsa?module-path=${hsm.module}&pin-value=${hsm.pin}`);
    const home = gpgHome();
    const imported = gpg(home, ['--import'], await exportOpenPgpPublicKey(key, { userId: 'Cloud HSM <cloud@example.com>' }));
    expect(imported.code, imported.stderr).toBe(0);
    const payload = new TextEncoder().encode('{"critical":{"identity":{"docker-reference":"registry.example/app:1.4"}}}');
    const verified = gpg(home, ['--decrypt'], await signOpenPgpMessage(key, payload));
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toBe(new TextDecoder().decode(payload));
    expect(verified.stderr).toMatch(/Good signature from "Cloud HSM <cloud@example.com>"/);
  });

  it('a bare digest cannot be signed: PKCS11_MECHANISM_UNSUPPORTED naming the mechanisms wanted and offered', async () => {
    const key = await openKey(`pkcs11:token=cloud;object=rsa?module-path=${hsm.module}&pin-value=${hsm.pin}`);
    const e = await rejectionOf(key.signDigest(new Uint8Array(32), { algorithm: 'rsa-pkcs1', hash: 'sha256' }));
    expect(e).toMatchObject({ code: 'PKCS11_MECHANISM_UNSUPPORTED', kind: 'key', details: { ckr: 'CKR_MECHANISM_INVALID', wanted: ['CKM_RSA_PKCS', 'CKM_SHA256_RSA_PKCS'] } });
    expect(e.message).toBe(`token "cloud" (module ${hsm.module}) cannot sign RSA PKCS#1 v1.5 with SHA-256: it offers only CKM_SHA256_RSA_PKCS, which hashes the message itself, and this format signs a digest it computed (wanted CKM_RSA_PKCS)`);
    expect(e.details.offered).toEqual(HASH_AND_SIGN.filter((m) => m.includes('RSA')));
  });

  it('an EC key on a token with no ECDSA mechanism at all: the error names what was wanted and what the token offers', async () => {
    const key = await openKey(`pkcs11:token=cloud;object=ec384?module-path=${hsm.module}&pin-value=${hsm.pin}`);
    const e = await rejectionOf(key.sign(new Uint8Array([1]), { algorithm: 'ecdsa', hash: 'sha384', encoding: 'der' }));
    expect(e).toMatchObject({ code: 'PKCS11_MECHANISM_UNSUPPORTED', details: { wanted: ['CKM_ECDSA', 'CKM_ECDSA_SHA384'] } });
    expect(e.message).toBe(`token "cloud" (module ${hsm.module}) cannot sign ECDSA with SHA-384: wanted CKM_ECDSA or CKM_ECDSA_SHA384; it offers ${HASH_AND_SIGN.filter((m) => m.includes('RSA')).join(', ')}`);
  });
});
