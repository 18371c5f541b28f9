import { describe, expect, it } from 'vitest';
import type { SignatureScheme } from '../../../src/key-backend.js';
import { CK } from '../../../src/keys/pkcs11/pkcs11-constants.js';
import { chooseMechanism } from '../../../src/keys/pkcs11/pkcs11-mechanism-choice.js';

const where = { token: 't', modulePath: '/lib/p11.so' };
const ecdsa = (hash: 'sha256' | 'sha384' | 'sha512'): SignatureScheme => ({ algorithm: 'ecdsa', hash, encoding: 'raw' });

describe('mechanism choice', () => {
  it('takes the raw mechanism where offered, whether a message or a digest is at hand', () => {
    const offered = new Set([CK.CKM_ECDSA, CK.CKM_ECDSA_SHA256, CK.CKM_RSA_PKCS, CK.CKM_RSA_PKCS_PSS, CK.CKM_SHA256_RSA_PKCS]);
    expect(chooseMechanism(ecdsa('sha256'), offered, true, where)).toEqual({ mechanism: CK.CKM_ECDSA, input: 'digest' });
    expect(chooseMechanism({ algorithm: 'rsa-pkcs1', hash: 'sha256' }, offered, false, where)).toEqual({ mechanism: CK.CKM_RSA_PKCS, input: 'digest-info' });
    expect(chooseMechanism({ algorithm: 'rsa-pss', hash: 'sha384' }, offered, true, where)).toEqual({
      mechanism: CK.CKM_RSA_PKCS_PSS, input: 'digest', pss: { hashAlg: CK.CKM_SHA384, mgf: CK.CKG_MGF1_SHA384, saltLength: 48 },
    });
  });

  it('else the hash-and-sign mechanism for the scheme hash, given the message', () => {
    const offered = new Set([CK.CKM_ECDSA_SHA256, CK.CKM_ECDSA_SHA384, CK.CKM_ECDSA_SHA512, CK.CKM_SHA512_RSA_PKCS_PSS]);
    expect(chooseMechanism(ecdsa('sha256'), offered, true, where)).toEqual({ mechanism: CK.CKM_ECDSA_SHA256, input: 'message' });
    expect(chooseMechanism(ecdsa('sha384'), offered, true, where)).toEqual({ mechanism: CK.CKM_ECDSA_SHA384, input: 'message' });
    expect(chooseMechanism(ecdsa('sha512'), offered, true, where).mechanism).toBe(CK.CKM_ECDSA_SHA512);
    expect(chooseMechanism({ algorithm: 'rsa-pss', hash: 'sha512' }, offered, true, where)).toEqual({
      mechanism: CK.CKM_SHA512_RSA_PKCS_PSS, input: 'message', pss: { hashAlg: CK.CKM_SHA512, mgf: CK.CKG_MGF1_SHA512, saltLength: 64 },
    });
  });

  it('a module that cannot list its mechanisms gets the raw one, as before', () => {
    expect(chooseMechanism(ecdsa('sha384'), undefined, false, where)).toEqual({ mechanism: CK.CKM_ECDSA, input: 'digest' });
    expect(chooseMechanism({ algorithm: 'ed25519' }, undefined, true, where)).toEqual({ mechanism: CK.CKM_EDDSA, input: 'message' });
  });

  it('no fit: one-line PKCS11_MECHANISM_UNSUPPORTED naming token, module, wanted and offered', () => {
    const offered = new Set([CK.CKM_ECDSA_SHA256, 0x80001234]);
    expect(() => chooseMechanism(ecdsa('sha256'), offered, false, where)).toThrow(
      'token "t" (module /lib/p11.so) cannot sign ECDSA with SHA-256: it offers only CKM_ECDSA_SHA256, which hashes the message itself, and this format signs a digest it computed (wanted CKM_ECDSA)',
    );
    expect(() => chooseMechanism(ecdsa('sha384'), offered, true, where)).toThrow(
      'cannot sign ECDSA with SHA-384: wanted CKM_ECDSA or CKM_ECDSA_SHA384; it offers CKM_ECDSA_SHA256, CKM_0x80001234',
    );
    expect(() => chooseMechanism({ algorithm: 'ed25519' }, new Set(), true, where)).toThrow(expect.objectContaining({ code: 'PKCS11_MECHANISM_UNSUPPORTED', message: expect.stringContaining('no signing mechanism') }));
  });
});
