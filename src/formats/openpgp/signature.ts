/**
 * v4 OpenPGP signature packets made by a KeyBackend. The caller supplies what the signature
 * type hashes before the trailer (key + user ID for certifications, the data for documents).
 */
import { createHash } from 'node:crypto';
import { airsignError, isAirsignError } from '../../errors.js';
import type { KeyBackend, SignatureScheme } from '../../key-backend.js';
import type { OpenPgpPublicKey } from './public-key.js';
import { PacketTag, PublicKeyAlgorithm, SubpacketType, concatBytes, mpi, packet, subpacket, timeField, uint16, uint32 } from './packets.js';

export interface SignatureParts {
  signatureType: number;
  /** Seconds since the epoch; never before the key's creation time. */
  creationTime: number;
  /** Extra hashed subpackets after creation time and issuer fingerprint. */
  extraHashed?: Uint8Array[];
}

/** Makes a signature packet over `hashPrefix` (already-encoded data the signature type covers). */
export async function signaturePacket(
  key: KeyBackend,
  publicKey: OpenPgpPublicKey,
  hashPrefix: Uint8Array[],
  parts: SignatureParts,
): Promise<Uint8Array> {
  if (parts.creationTime < publicKey.creationTime) {
    throw airsignError('OPENPGP_TIME_INVALID', 'an OpenPGP signature may not predate its key');
  }
  const hashed = concatBytes(
    subpacket(SubpacketType.SignatureCreationTime, timeField(parts.creationTime)),
    subpacket(SubpacketType.IssuerFingerprint, concatBytes(Uint8Array.of(4), publicKey.fingerprint)),
    ...(parts.extraHashed ?? []),
  );
  const unhashed = subpacket(SubpacketType.Issuer, publicKey.keyId);
  const head = concatBytes(
    Uint8Array.of(4, parts.signatureType, publicKey.algorithm, publicKey.hashId),
    uint16(hashed.length),
    hashed,
  );
  const trailer = concatBytes(Uint8Array.of(4, 0xff), uint32(head.length));
  // What the signature covers: a simple-signing payload or a key packet, then this packet's head
  // and trailer (small).
  const signed = concatBytes(...hashPrefix, head, trailer);
  const digest = new Uint8Array(createHash(publicKey.hash).update(signed).digest());
  const mpis = await signatureMpis(key, publicKey, signed, digest);
  return packet(PacketTag.Signature, concatBytes(head, uint16(unhashed.length), unhashed, digest.subarray(0, 2), mpis));
}

async function signatureMpis(key: KeyBackend, publicKey: OpenPgpPublicKey, signed: Uint8Array, digest: Uint8Array): Promise<Uint8Array> {
  switch (publicKey.algorithm) {
    case PublicKeyAlgorithm.RsaEncryptOrSign:
      return mpi(await signDigestOrData(key, signed, digest, { algorithm: 'rsa-pkcs1', hash: publicKey.hash }));
    case PublicKeyAlgorithm.Ecdsa: {
      const rs = await signDigestOrData(key, signed, digest, { algorithm: 'ecdsa', hash: publicKey.hash, encoding: 'raw' });
      const half = rs.length / 2;
      return concatBytes(mpi(rs.subarray(0, half)), mpi(rs.subarray(half)));
    }
    case PublicKeyAlgorithm.EdDsaLegacy: {
      // Legacy EdDSA signs the digest as the message (RFC 4880bis / RFC 9580 §5.2.3.3).
      const sig = await key.sign(digest, { algorithm: 'ed25519' });
      return concatBytes(mpi(sig.subarray(0, 32)), mpi(sig.subarray(32)));
    }
    default:
      throw airsignError('OPENPGP_ALGORITHM', `no OpenPGP signing for algorithm ${publicKey.algorithm}`);
  }
}

/**
 * Signs our digest of the data (file keys sign it deterministically, so an exported key is the
 * same bytes every time); a token that offers only hash-and-sign mechanisms (CKM_SHA256_RSA_PKCS,
 * CKM_ECDSA_SHA256, …) cannot sign a bare digest, so it is given the data to hash itself.
 */
async function signDigestOrData(key: KeyBackend, signed: Uint8Array, digest: Uint8Array, scheme: Exclude<SignatureScheme, { algorithm: 'ed25519' }>): Promise<Uint8Array> {
  try {
    return await key.signDigest(digest, scheme);
  } catch (error) {
    if (!isAirsignError(error) || error.code !== 'PKCS11_MECHANISM_UNSUPPORTED') throw error;
    return key.sign(signed, scheme);
  }
}
