/**
 * The v4 OpenPGP public-key packet for a KeyBackend's key, its fingerprint and key ID.
 *
 * Deterministic creation time: an OpenPGP fingerprint hashes the key packet, which includes a
 * creation time. airsign never stores OpenPGP state, so it uses one fixed creation time for
 * every key, OPENPGP_KEY_CREATION_TIME (2000-01-01T00:00:00Z). The same key therefore always
 * has the same OpenPGP fingerprint, with no flag, on every machine, and the GPG signer uses the
 * same rule. Signatures are never dated before it (see docs/openpgp.md).
 */
import { createHash, createPublicKey } from 'node:crypto';
import { AirsignError, airsignError } from '../../errors.js';
import type { HashAlgorithm, KeyBackend, KeyType } from '../../key-backend.js';
import { hashForKeyType } from '../../x509/signature-algorithm.js';
import { HashAlgorithmId, PacketTag, PublicKeyAlgorithm, concatBytes, mpi, packet, timeField, uint16 } from './packets.js';

/** 2000-01-01T00:00:00Z in seconds: the creation time of every OpenPGP key airsign writes. */
export const OPENPGP_KEY_CREATION_TIME = 946_684_800;

/** Curve OIDs as OpenPGP writes them (DER contents without tag and length). */
const CURVE_OID: Record<'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521' | 'ed25519', Uint8Array> = {
  'ecdsa-p256': Uint8Array.from([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]),
  'ecdsa-p384': Uint8Array.from([0x2b, 0x81, 0x04, 0x00, 0x22]),
  'ecdsa-p521': Uint8Array.from([0x2b, 0x81, 0x04, 0x00, 0x23]),
  ed25519: Uint8Array.from([0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01]),
};

export interface OpenPgpPublicKey {
  keyType: KeyType;
  algorithm: number;
  /** The hash our signatures with this key use (SHA-256/384/512 matched to the key size; SHA-512 for Ed25519). */
  hash: HashAlgorithm;
  hashId: number;
  creationTime: number;
  /** Public-key packet body (no header). */
  body: Uint8Array;
  /** The whole public-key packet. */
  packet: Uint8Array;
  /** 20-byte v4 fingerprint. */
  fingerprint: Uint8Array;
  /** The low 8 bytes of the fingerprint. */
  keyId: Uint8Array;
}

/** Builds the public-key packet from the backend's SPKI (using the fixed creation time). */
export async function openPgpPublicKey(key: KeyBackend): Promise<OpenPgpPublicKey> {
  const spki = await key.publicKeySpki();
  let jwk: { kty?: string; n?: string; e?: string; crv?: string; x?: string; y?: string };
  try {
    jwk = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ format: 'jwk' });
  } catch (error) {
    throw airsignError('KEY_PUBLIC_KEY_INVALID', `the public key of ${key.description} could not be read`, { cause: error });
  }
  const b64 = (value: string | undefined): Uint8Array => {
    if (value === undefined) throw airsignError('KEY_PUBLIC_KEY_INVALID', `the public key of ${key.description} is incomplete`);
    return new Uint8Array(Buffer.from(value, 'base64url'));
  };
  const creationTime = OPENPGP_KEY_CREATION_TIME;
  let algorithm: number;
  let material: Uint8Array;
  switch (key.keyType) {
    case 'rsa-2048':
    case 'rsa-3072':
    case 'rsa-4096':
      expectKty(jwk.kty, 'RSA', key);
      algorithm = PublicKeyAlgorithm.RsaEncryptOrSign;
      material = concatBytes(mpi(b64(jwk.n)), mpi(b64(jwk.e)));
      break;
    case 'ecdsa-p256':
    case 'ecdsa-p384':
    case 'ecdsa-p521': {
      expectKty(jwk.kty, 'EC', key);
      algorithm = PublicKeyAlgorithm.Ecdsa;
      const oid = CURVE_OID[key.keyType];
      const point = concatBytes(Uint8Array.of(0x04), b64(jwk.x), b64(jwk.y));
      material = concatBytes(Uint8Array.of(oid.length), oid, mpi(point));
      break;
    }
    case 'ed25519': {
      expectKty(jwk.kty, 'OKP', key);
      algorithm = PublicKeyAlgorithm.EdDsaLegacy;
      const oid = CURVE_OID.ed25519;
      material = concatBytes(Uint8Array.of(oid.length), oid, mpi(concatBytes(Uint8Array.of(0x40), b64(jwk.x))));
      break;
    }
  }
  const body = concatBytes(Uint8Array.of(4), timeField(creationTime), Uint8Array.of(algorithm), material);
  const fingerprint = new Uint8Array(createHash('sha1').update(keyHashPrefix(body)).digest());
  const hash = key.keyType === 'ed25519' ? 'sha512' : hashForKeyType(key.keyType);
  return {
    keyType: key.keyType,
    algorithm,
    hash,
    hashId: HashAlgorithmId[hash],
    creationTime,
    body,
    packet: packet(PacketTag.PublicKey, body),
    fingerprint,
    keyId: fingerprint.slice(12),
  };
}

/** 0x99, two-octet length, body: how v4 fingerprints and key certifications hash a key. */
export function keyHashPrefix(body: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0x99), uint16(body.length), body);
}

function expectKty(actual: string | undefined, expected: string, key: KeyBackend): void {
  if (actual !== expected) {
    throw new AirsignError('KEY_TYPE_MISMATCH', `${key.description} says it is ${key.keyType} but its public key is ${actual ?? 'unknown'}`);
  }
}

/** The v4 fingerprint as 40 uppercase hex digits (what gpg and skopeo print and expect). */
export async function openPgpFingerprint(key: KeyBackend): Promise<string> {
  return Buffer.from((await openPgpPublicKey(key)).fingerprint).toString('hex').toUpperCase();
}
