/**
 * Test-only KeyBackend over node:crypto and a PEM private key (until the keys branch's file backend
 * is merged). Signs the whole message; digest signing is not needed by the Notation tests.
 */
import { createPrivateKey, createPublicKey, constants, sign as cryptoSign, type KeyObject } from 'node:crypto';
import type { KeyBackend, KeyType, SignatureScheme } from '../../src/key-backend.js';

export function nodeCryptoKeyBackend(privatePem: string | Buffer, chain: Uint8Array[] = [], description = 'test key'): KeyBackend & { calls: number } {
  const key = createPrivateKey(privatePem);
  const spki = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }));
  const backend = {
    description,
    keyType: keyTypeOf(key),
    calls: 0,
    publicKeySpki: async () => spki,
    certificateChain: async () => chain,
    async sign(message: Uint8Array, scheme: SignatureScheme): Promise<Uint8Array> {
      backend.calls++;
      switch (scheme.algorithm) {
        case 'ecdsa':
          return new Uint8Array(cryptoSign(scheme.hash, message, { key, dsaEncoding: scheme.encoding === 'raw' ? 'ieee-p1363' : 'der' }));
        case 'rsa-pss':
          return new Uint8Array(cryptoSign(scheme.hash, message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }));
        case 'rsa-pkcs1':
          return new Uint8Array(cryptoSign(scheme.hash, message, { key, padding: constants.RSA_PKCS1_PADDING }));
        case 'ed25519':
          return new Uint8Array(cryptoSign(null, message, key));
      }
    },
    async signDigest(): Promise<Uint8Array> {
      throw new Error('signDigest is not implemented by the test key backend');
    },
    async close(): Promise<void> {},
  };
  return backend;
}

function keyTypeOf(key: KeyObject): KeyType {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return `rsa-${d.modulusLength}` as KeyType;
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec') {
    return ({ prime256v1: 'ecdsa-p256', secp384r1: 'ecdsa-p384', secp521r1: 'ecdsa-p521' } as Record<string, KeyType>)[d.namedCurve ?? '']!;
  }
  throw new Error(`unsupported test key ${key.asymmetricKeyType}`);
}
