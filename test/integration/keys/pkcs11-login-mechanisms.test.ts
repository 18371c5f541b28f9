/**
 * Login and mechanism errors on a fresh SoftHSM module (own test file = own process, since SoftHSM
 * reads its configuration once, at C_Initialize). The token store is configured to offer only
 * CKM_RSA_PKCS, so ECDSA and RSA-PSS signing must fail with PKCS11_MECHANISM_UNSUPPORTED.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKey } from '../../../src/keys/open-key.js';
import { finalizePkcs11Modules } from '../../../src/keys/pkcs11/pkcs11-session-manager.js';
import { createSoftHsm, type SoftHsm } from '../../helpers/softhsm.js';
import { nodeVerifies, rejectionOf } from '../../helpers/signature-peers.js';

let hsm: SoftHsm;
const WRONG = '9731-wrong';

beforeAll(() => {
  hsm = createSoftHsm(
    [{ label: 'solo', keys: [{ type: 'EC:prime256v1', id: '01', label: 'ec' }, { type: 'rsa:2048', id: '02', label: 'rsa' }] }],
    { pin: '246810' },
  );
  const restricted = join(hsm.dir, 'restricted.conf');
  writeFileSync(restricted, readFileSync(hsm.conf, 'utf8').replace(/^slots\.mechanisms = .*$/m, 'slots.mechanisms = CKM_RSA_PKCS'));
  process.env.SOFTHSM2_CONF = restricted;
  writeFileSync(join(hsm.dir, 'pin.txt'), `${hsm.pin}\n`);
});

afterAll(() => finalizePkcs11Modules());

describe('login', () => {
  it('a wrong PIN fails with PKCS11_PIN_INCORRECT and shows the PIN nowhere; the right PIN then works', async () => {
    const e = await rejectionOf(openKey(`pkcs11:token=solo;object=ec?module-path=${hsm.module}&pin-value=${WRONG}`));
    expect(e).toMatchObject({ code: 'PKCS11_PIN_INCORRECT', kind: 'key' });
    expect(e.message).toMatch(/wrong PIN on token "solo"/);
    expect(`${e.message} ${JSON.stringify(e.details)} ${String(e.stack)}`).not.toContain(WRONG);
    const e2 = await rejectionOf(openKey(`pkcs11:token=solo;object=ec`, { env: { AIRSIGN_PKCS11_MODULE: hsm.module, AIRSIGN_PKCS11_PIN: WRONG } }));
    expect(e2.code).toBe('PKCS11_PIN_INCORRECT');
    await expect(openKey(`pkcs11:token=solo;object=ec?module-path=${hsm.module}`, { env: {} })).rejects.toMatchObject({ code: 'PKCS11_PIN_REQUIRED' });
    await expect(openKey(`pkcs11:token=solo;object=ec?module-path=${hsm.module}&pin-source=file:${join(hsm.dir, 'missing')}`, { env: {} })).rejects.toMatchObject({ code: 'KEY_SECRET_FILE_UNREADABLE' });
    const ok = await openKey(`pkcs11:token=solo;object=ec?module-path=${hsm.module}&pin-source=file:${join(hsm.dir, 'pin.txt')}`, { env: {} });
    expect(ok.keyType).toBe('ecdsa-p256');
  });
});

describe('mechanisms the token does not offer', () => {
  it('ECDSA and RSA-PSS fail with PKCS11_MECHANISM_UNSUPPORTED; RSA PKCS#1 v1.5 still signs', async () => {
    const ec = await openKey(`pkcs11:token=solo;object=ec?module-path=${hsm.module}&pin-value=${hsm.pin}`);
    const e = await rejectionOf(ec.sign(new Uint8Array([1]), { algorithm: 'ecdsa', hash: 'sha256', encoding: 'der' }));
    expect(e).toMatchObject({ code: 'PKCS11_MECHANISM_UNSUPPORTED', kind: 'key', details: { ckr: 'CKR_MECHANISM_INVALID' } });
    const rsa = await openKey(`pkcs11:token=solo;object=rsa?module-path=${hsm.module}`);
    await expect(rsa.sign(new Uint8Array([1]), { algorithm: 'rsa-pss', hash: 'sha256' })).rejects.toMatchObject({ code: 'PKCS11_MECHANISM_UNSUPPORTED' });
    const message = new TextEncoder().encode('still works');
    const sig = await rsa.signDigest(createHash('sha384').update(message).digest(), { algorithm: 'rsa-pkcs1', hash: 'sha384' });
    expect(nodeVerifies(await rsa.publicKeySpki(), message, sig, { algorithm: 'rsa-pkcs1', hash: 'sha384' })).toBe(true);
  });
});
