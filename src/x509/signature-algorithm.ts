/**
 * The X.509 signature algorithm a key signs certificates with: one table from key type to the
 * AlgorithmIdentifier and the KeyBackend scheme that produces the matching signature bytes; and
 * the one table of weak certificate signature algorithms that chain checks refuse (Notation's
 * chain rules and the verify path validation share it).
 */
import type * as X509 from '@peculiar/asn1-x509';
import type { HashAlgorithm, KeyType, SignatureScheme } from '../key-backend.js';
import { asn1X509 } from './asn1-packages.js';

const { AlgorithmIdentifier } = asn1X509;
type AlgorithmIdentifier = X509.AlgorithmIdentifier;

export interface X509SignatureAlgorithm {
  /** e.g. "ecdsa-with-SHA256". */
  name: string;
  oid: string;
  /** RSA algorithm identifiers carry an explicit NULL parameter; ECDSA and Ed25519 have none. */
  nullParameters: boolean;
  scheme: SignatureScheme;
}

const ECDSA: Record<HashAlgorithm, { name: string; oid: string }> = {
  sha256: { name: 'ecdsa-with-SHA256', oid: '1.2.840.10045.4.3.2' },
  sha384: { name: 'ecdsa-with-SHA384', oid: '1.2.840.10045.4.3.3' },
  sha512: { name: 'ecdsa-with-SHA512', oid: '1.2.840.10045.4.3.4' },
};

const RSA_PKCS1: Record<HashAlgorithm, { name: string; oid: string }> = {
  sha256: { name: 'sha256WithRSAEncryption', oid: '1.2.840.113549.1.1.11' },
  sha384: { name: 'sha384WithRSAEncryption', oid: '1.2.840.113549.1.1.12' },
  sha512: { name: 'sha512WithRSAEncryption', oid: '1.2.840.113549.1.1.13' },
};

/** P-256/RSA-2048 → SHA-256, P-384/RSA-3072 → SHA-384, P-521/RSA-4096 → SHA-512. */
export function hashForKeyType(keyType: Exclude<KeyType, 'ed25519'>): HashAlgorithm {
  switch (keyType) {
    case 'ecdsa-p256':
    case 'rsa-2048':
      return 'sha256';
    case 'ecdsa-p384':
    case 'rsa-3072':
      return 'sha384';
    case 'ecdsa-p521':
    case 'rsa-4096':
      return 'sha512';
  }
}

export function x509SignatureAlgorithm(keyType: KeyType): X509SignatureAlgorithm {
  switch (keyType) {
    case 'ed25519':
      return { name: 'Ed25519', oid: '1.3.101.112', nullParameters: false, scheme: { algorithm: 'ed25519' } };
    case 'ecdsa-p256':
    case 'ecdsa-p384':
    case 'ecdsa-p521': {
      const hash = hashForKeyType(keyType);
      return { ...ECDSA[hash], nullParameters: false, scheme: { algorithm: 'ecdsa', hash, encoding: 'der' } };
    }
    case 'rsa-2048':
    case 'rsa-3072':
    case 'rsa-4096': {
      const hash = hashForKeyType(keyType);
      return { ...RSA_PKCS1[hash], nullParameters: true, scheme: { algorithm: 'rsa-pkcs1', hash } };
    }
  }
}

export function algorithmIdentifier(algorithm: X509SignatureAlgorithm): AlgorithmIdentifier {
  return new AlgorithmIdentifier(algorithm.nullParameters ? { algorithm: algorithm.oid, parameters: null } : { algorithm: algorithm.oid });
}

/** The name for a signature algorithm OID we know (e.g. "ecdsa-with-SHA256"), else the OID itself. */
export function signatureAlgorithmName(oid: string): string {
  if (oid === '1.3.101.112') return 'Ed25519';
  const known = [...Object.values(ECDSA), ...Object.values(RSA_PKCS1)].find((a) => a.oid === oid);
  if (known !== undefined) return known.name;
  const other: Record<string, string> = { '1.2.840.113549.1.1.10': 'RSASSA-PSS', '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption', '1.2.840.10045.4.1': 'ecdsa-with-SHA1' };
  return other[oid] ?? oid;
}

/** Certificate signature algorithms (OID → name) Notation and airsign refuse: MD5 and SHA-1 digests. */
const WEAK_CERTIFICATE_SIGNATURES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10040.4.3': 'dsa-with-sha1',
};

/** The name of a weak (MD5/SHA-1) certificate signature algorithm, or undefined when it is not one. */
export function weakCertificateSignature(oid: string): string | undefined {
  return Object.hasOwn(WEAK_CERTIFICATE_SIGNATURES, oid) ? WEAK_CERTIFICATE_SIGNATURES[oid] : undefined;
}
