import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  fitRsaSignature,
  digestInfo,
  keyTypeOf,
  keyTypeOfSpki,
  rawToDerEcdsa,
  spkiFromEcPoint,
  spkiFromEd25519,
  spkiFromRsa,
} from '../../../src/keys/signature-encoding.js';

describe('ECDSA signature encodings', () => {
  for (const [curve, n] of [['P-256', 32], ['P-384', 48], ['P-521', 66]] as const) {
    it(`raw r‖s → DER verifies with node:crypto for ${curve}`, () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const message = Buffer.from('payload');
      // Many signatures so that short r/s (leading zero bytes) and high-bit values both occur.
      for (let i = 0; i < 64; i++) {
        const raw = sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        const der = rawToDerEcdsa(raw);
        expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, der)).toBe(true);
        expect(der.length).toBeLessThanOrEqual(n * 2 + 9);
      }
    });
  }

  it('encodes minimal integers with a sign byte only when needed', () => {
    const raw = new Uint8Array(64);
    raw[31] = 0x01; // r = 1
    raw[32] = 0x80; // s has its high bit set
    const der = Buffer.from(rawToDerEcdsa(raw)).toString('hex');
    expect(der).toBe(`30260201010221 00 80${'00'.repeat(31)}`.replace(/ /g, ''));
  });

  it('refuses a raw signature of odd or zero length with KEY_SIGNATURE_ENCODING', () => {
    for (const length of [0, 63]) expect(() => rawToDerEcdsa(new Uint8Array(length))).toThrowError(expect.objectContaining({ code: 'KEY_SIGNATURE_ENCODING' }));
  });

});

describe('key types and SPKI from raw parts', () => {
  it('rebuilds SPKI from EC points, RSA n/e and Ed25519 points exactly as node exports them', () => {
    for (const curve of ['P-256', 'P-384', 'P-521'] as const) {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const jwk = publicKey.export({ format: 'jwk' });
      const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x as string, 'base64url'), Buffer.from(jwk.y as string, 'base64url')]);
      const { spki, keyType } = spkiFromEcPoint(curve, point);
      expect(Buffer.from(spki)).toEqual(publicKey.export({ format: 'der', type: 'spki' }));
      expect(keyType).toBe(keyTypeOf(publicKey));
    }
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const rj = rsa.export({ format: 'jwk' });
    const r = spkiFromRsa(Buffer.concat([Buffer.from([0]), Buffer.from(rj.n as string, 'base64url')]), Buffer.from(rj.e as string, 'base64url'));
    expect(Buffer.from(r.spki)).toEqual(rsa.export({ format: 'der', type: 'spki' }));
    expect(r.keyType).toBe('rsa-2048');
    const ed = generateKeyPairSync('ed25519').publicKey;
    const e = spkiFromEd25519(Buffer.from(ed.export({ format: 'jwk' }).x as string, 'base64url'));
    expect(Buffer.from(e.spki)).toEqual(ed.export({ format: 'der', type: 'spki' }));
    expect(keyTypeOfSpki(e.spki)).toBe('ed25519');
  });

  it('refuses unsupported keys with KEY_TYPE_UNSUPPORTED', () => {
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey;
    expect(() => keyTypeOf(k1)).toThrow(expect.objectContaining({ code: 'KEY_TYPE_UNSUPPORTED' }));
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(() => keyTypeOf(rsa1024)).toThrow(expect.objectContaining({ code: 'KEY_TYPE_UNSUPPORTED' }));
    const x = generateKeyPairSync('x25519').publicKey;
    expect(() => keyTypeOf(createPublicKey(x.export({ format: 'pem', type: 'spki' })))).toThrow(/unsupported key type x25519/);
  });

  it('DigestInfo prefixes are the RFC 8017 ones (RSA PKCS#1 v1.5 via privateEncrypt verifies)', async () => {
    const { privateEncrypt, createHash, constants } = await import('node:crypto');
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    for (const hash of ['sha256', 'sha384', 'sha512'] as const) {
      const message = Buffer.from(`m-${hash}`);
      const digest = createHash(hash).update(message).digest();
      const sig = privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, digestInfo(hash, digest));
      expect(verify(hash, message, publicKey, sig)).toBe(true);
    }
    expect(() => digestInfo('sha256', new Uint8Array(31))).toThrow(expect.objectContaining({ code: 'KEY_DIGEST_LENGTH' }));
  });
});

describe('RSA signatures as k-byte strings (RFC 8017 I2OSP)', () => {
  it('puts back the leading zero bytes a token dropped; refuses longer or far shorter ones', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const message = Buffer.from('x');
    // Find a message whose PKCS#1 v1.5 signature starts with 0x00 (deterministic, 1 in 256).
    let n = 0;
    let signature = sign('sha256', message, privateKey);
    while (signature[0] !== 0) signature = sign('sha256', Buffer.from(`x${++n}`), privateKey);
    const data = Buffer.from(n === 0 ? 'x' : `x${n}`);
    const fitted = fitRsaSignature(signature.subarray(1), 256);
    expect(fitted.length).toBe(256);
    expect(verify('sha256', data, publicKey, fitted)).toBe(true);
    expect(verify('sha256', data, publicKey, signature.subarray(1))).toBe(false);
    expect(fitRsaSignature(signature, 256)).toBe(signature);
    expect(() => fitRsaSignature(new Uint8Array(257), 256)).toThrow(expect.objectContaining({ code: 'KEY_SIGNATURE_LENGTH', kind: 'key' }));
    expect(() => fitRsaSignature(new Uint8Array(100), 256)).toThrow(expect.objectContaining({ code: 'KEY_SIGNATURE_LENGTH' }));
  });
});
