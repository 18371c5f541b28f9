/**
 * Test keys for x509/openpgp tests: a private key made by `openssl genpkey` (a peer), wrapped as
 * a KeyBackend with node:crypto and @noble/curves (for digest-in ECDSA, as CKM_ECDSA does).
 * Used where the keys branch's backends are not needed; tests that exercise real backends use
 * openKey.
 */
import { createHash, createPrivateKey, createPublicKey, privateEncrypt, sign as nodeSign, constants } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import type { HashAlgorithm, KeyBackend, KeyType, SignatureScheme } from '../../src/keys/key-backend.js';

const GENPKEY_ARGS: Record<KeyType, string[]> = {
  'ecdsa-p256': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'ecdsa-p384': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  'ecdsa-p521': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'],
  'rsa-2048': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  'rsa-3072': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'],
  'rsa-4096': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:4096'],
  ed25519: ['-algorithm', 'ED25519'],
};

/** Makes `<dir>/<name>.pem` with openssl genpkey and returns its path. */
export function opensslGenerateKey(dir: string, name: string, type: KeyType): string {
  const path = join(dir, `${name}.pem`);
  execFileSync('openssl', ['genpkey', ...GENPKEY_ARGS[type], '-out', path], { stdio: 'pipe' });
  return path;
}

const DIGEST_INFO: Record<HashAlgorithm, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

export function pemTestKey(path: string, type: KeyType): KeyBackend {
  const key: KeyObject = createPrivateKey(readFileSync(path));
  const spki = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }));
  const curve = type === 'ecdsa-p256' ? p256 : type === 'ecdsa-p384' ? p384 : type === 'ecdsa-p521' ? p521 : undefined;
  const scalar = (): Uint8Array => {
    const d = key.export({ format: 'jwk' }).d;
    if (d === undefined) throw new Error('no private scalar');
    return new Uint8Array(Buffer.from(d, 'base64url'));
  };
  const signDigest = async (digest: Uint8Array, scheme: Exclude<SignatureScheme, { algorithm: 'ed25519' }>): Promise<Uint8Array> => {
    switch (scheme.algorithm) {
      case 'ecdsa':
        if (curve === undefined) throw new Error('not an EC key');
        return curve.sign(digest, scalar(), { prehash: false, format: scheme.encoding === 'raw' ? 'compact' : 'der' });
      case 'rsa-pkcs1':
        return new Uint8Array(
          privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([Buffer.from(DIGEST_INFO[scheme.hash], 'hex'), digest])),
        );
      case 'rsa-pss':
        throw new Error('rsa-pss digest signing not needed in these tests');
    }
  };
  return {
    description: path,
    keyType: type,
    publicKeySpki: async () => spki,
    certificateChain: async () => [],
    sign: async (message, scheme) => {
      if (scheme.algorithm === 'ed25519') return new Uint8Array(nodeSign(null, message, key));
      return signDigest(new Uint8Array(createHash(scheme.hash).update(message).digest()), scheme);
    },
    signDigest,
    close: async () => {},
  };
}
