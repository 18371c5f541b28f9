/**
 * Keys with CKA_ALWAYS_AUTHENTICATE (PIV slot 9c, HSM policies with a PIN per signature) on a real
 * SoftHSM token (pkcs11-tool --always-auth). SoftHSM enforces it: C_Sign without a context-specific
 * login after C_SignInit answers CKR_USER_NOT_LOGGED_IN (checked here through the bare binding, so
 * the backend's tests below fail without its context login).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKey } from '../../../src/keys/open-key.js';
import { CK } from '../../../src/keys/pkcs11/pkcs11-constants.js';
import { Pkcs11Library } from '../../../src/keys/pkcs11/pkcs11-ffi.js';
import { finalizePkcs11Modules } from '../../../src/keys/pkcs11/pkcs11-session-manager.js';
import { createSoftHsm, useSoftHsmInProcess, type SoftHsm } from '../../helpers/softhsm.js';
import { nodeVerifies, rejectionOf, schemesFor } from '../../helpers/signature-peers.js';

let hsm: SoftHsm;

beforeAll(() => {
  hsm = createSoftHsm([{ label: 'piv', keys: [] }], { pin: '314159' });
  for (const [type, id, label] of [['EC:prime256v1', '01', 'sig-ec'], ['rsa:2048', '02', 'sig-rsa']] as const) {
    execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', 'piv', '--login', '--pin', hsm.pin,
      '--keypairgen', '--key-type', type, '--id', id, '--label', label, '--usage-sign', '--always-auth'], { env: hsm.env, stdio: 'pipe' });
  }
  useSoftHsmInProcess(hsm);
});

afterAll(() => finalizePkcs11Modules());

describe('CKA_ALWAYS_AUTHENTICATE keys', () => {
  it('the token enforces it: C_SignInit + C_Sign without a context login is CKR_USER_NOT_LOGGED_IN', () => {
    const lib = new Pkcs11Library(hsm.module);
    try {
      lib.C_Initialize();
    } catch (error) {
      expect(String(error)).toContain('CKR_CRYPTOKI_ALREADY_INITIALIZED');
    }
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === 'piv');
    expect(slot).toBeDefined();
    const session = lib.C_OpenSession(slot!, CK.CKF_SERIAL_SESSION);
    lib.C_Login(session, CK.CKU_USER, hsm.pin);
    lib.C_FindObjectsInit(session, [{ type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY }, { type: CK.CKA_LABEL, value: 'sig-ec' }]);
    const [key] = lib.C_FindObjects(session, 2);
    lib.C_FindObjectsFinal(session);
    expect(lib.getAttribute(session, key!, CK.CKA_ALWAYS_AUTHENTICATE)?.[0]).toBe(1);
    lib.C_SignInit(session, { mechanism: CK.CKM_ECDSA }, key!);
    expect(() => lib.C_Sign(session, new Uint8Array(32), Buffer.alloc(64))).toThrow(/CKR_USER_NOT_LOGGED_IN/);
    lib.C_CloseSession(session);
  });

  it('every scheme signs, many times, with a context login before each C_Sign and the PIN asked for once', async () => {
    let prompts = 0;
    const promptSecret = async () => {
      prompts++;
      return hsm.pin;
    };
    for (const [label, keyType] of [['sig-ec', 'ecdsa-p256'], ['sig-rsa', 'rsa-2048']] as const) {
      const key = await openKey(`pkcs11:token=piv;object=${label}?module-path=${hsm.module}`, { env: {}, promptSecret });
      expect(key.keyType).toBe(keyType);
      const spki = await key.publicKeySpki();
      for (const scheme of schemesFor(keyType)) {
        for (let i = 0; i < 3; i++) {
          const message = new TextEncoder().encode(`always-auth ${label} ${i}`);
          const sig = await key.sign(message, scheme);
          expect(nodeVerifies(spki, message, sig, scheme), `${label} ${JSON.stringify(scheme)}`).toBe(true);
        }
        if (scheme.algorithm !== 'ed25519') {
          const message = new TextEncoder().encode('digest path');
          const sig = await key.signDigest(createHash(scheme.hash).update(message).digest(), scheme);
          expect(nodeVerifies(spki, message, sig, scheme)).toBe(true);
        }
      }
      await key.close();
    }
    expect(prompts).toBe(1);
  });

  it('a wrong PIN fails at the first login with PKCS11_PIN_INCORRECT, once, and never reaches C_Sign', async () => {
    finalizePkcs11Modules();
    let prompts = 0;
    const e = await rejectionOf(openKey(`pkcs11:token=piv;object=sig-ec?module-path=${hsm.module}`, { env: {}, promptSecret: async () => (prompts++, '000000') }));
    expect(e.code).toBe('PKCS11_PIN_INCORRECT');
    expect(prompts).toBe(1);
    finalizePkcs11Modules();
    // The right PIN clears SoftHSM's low-count flag for later runs.
    const ok = await openKey(`pkcs11:token=piv;object=sig-ec?module-path=${hsm.module}&pin-value=${hsm.pin}`);
    expect((await ok.sign(new Uint8Array([1]), { algorithm: 'ecdsa', hash: 'sha256', encoding: 'raw' })).length).toBe(64);
  });
});
