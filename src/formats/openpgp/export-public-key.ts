/**
 * A transferable OpenPGP public key for a KeyBackend's key: public-key packet, user ID packet and
 * a positive-certification self-signature made by the key itself, which is what `gpg --import`
 * (and so c/image's GPG verifier) requires. Same key → same bytes (for deterministic signers:
 * RSA PKCS#1 v1.5, Ed25519, RFC 6979 ECDSA); the key packet and fingerprint are always the same.
 */
import { airsignError } from '../../errors.js';
import type { KeyBackend } from '../../key-backend.js';
import { armor as armorBytes } from './armor.js';
import { keyHashPrefix, openPgpPublicKey } from './public-key.js';
import { HashAlgorithmId, PacketTag, SignatureType, SubpacketType, concatBytes, packet, subpacket, uint32 } from './packets.js';
import { signaturePacket } from './signature.js';

export interface ExportOpenPgpOptions {
  /** "Name <mail@example.com>". */
  userId: string;
  /** ASCII-armored output ("-----BEGIN PGP PUBLIC KEY BLOCK-----"); binary by default. */
  armor?: boolean;
}

/** Key flags: certify other keys (0x01) and sign data (0x02). */
const KEY_FLAGS_CERTIFY_SIGN = 0x03;

/** The transferable OpenPGP public key of `key` (self-signed user ID, fixed creation time), binary or armored. */
export async function exportOpenPgpPublicKey(key: KeyBackend, options: ExportOpenPgpOptions): Promise<Uint8Array> {
  const userId = options.userId.trim();
  if (userId === '' || /[\r\n\0]/.test(userId)) {
    throw airsignError('OPENPGP_USER_ID_INVALID', 'the OpenPGP user ID must be one non-empty line, e.g. "Release Signer <release@example.com>"');
  }
  const publicKey = await openPgpPublicKey(key);
  const userIdBytes = new TextEncoder().encode(userId);
  const selfSignature = await signaturePacket(
    key,
    publicKey,
    [keyHashPrefix(publicKey.body), concatBytes(Uint8Array.of(0xb4), uint32(userIdBytes.length), userIdBytes)],
    {
      signatureType: SignatureType.PositiveCertification,
      // Same as the key's creation time, so exporting again gives the same bytes.
      creationTime: publicKey.creationTime,
      extraHashed: [
        subpacket(SubpacketType.KeyFlags, Uint8Array.of(KEY_FLAGS_CERTIFY_SIGN)),
        subpacket(SubpacketType.PreferredHashAlgorithms, Uint8Array.of(HashAlgorithmId.sha256, HashAlgorithmId.sha512, HashAlgorithmId.sha384)),
        subpacket(SubpacketType.Features, Uint8Array.of(0x01)),
      ],
    },
  );
  const binary = concatBytes(publicKey.packet, packet(PacketTag.UserId, userIdBytes), selfSignature);
  return options.armor === true ? armorBytes('PGP PUBLIC KEY BLOCK', binary) : binary;
}

export { openPgpFingerprint, OPENPGP_KEY_CREATION_TIME } from './public-key.js';
