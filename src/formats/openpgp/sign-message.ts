/**
 * An OpenPGP signed message (not detached, not armored, not compressed), as `gpg --sign` makes
 * and containers/image's GPG "simple signing" expects: one-pass signature packet, literal data
 * packet (binary, no file name), signature packet (binary document, 0x00) by the key whose
 * OpenPGP fingerprint is openPgpFingerprint(key).
 */
import type { KeyBackend } from '../../key-backend.js';
import { airsignError } from '../../errors.js';
import { openPgpPublicKey } from './public-key.js';
import { PacketTag, SignatureType, SubpacketType, concatBytes, packet, subpacket, timeField } from './packets.js';
import { signaturePacket } from './signature.js';

export interface SignOpenPgpMessageOptions {
  /** Signature and literal-data time in seconds since the epoch; default now. */
  timestamp?: number;
  /** Seconds after `timestamp` at which the signature expires (hashed subpacket 3); none by default. */
  expiresAfter?: number;
}

/** An OpenPGP signed message (one-pass signature, literal data, signature) of `payload` by `key`, as `gpg --sign` makes it. */
export async function signOpenPgpMessage(key: KeyBackend, payload: Uint8Array, options: SignOpenPgpMessageOptions = {}): Promise<Uint8Array> {
  const publicKey = await openPgpPublicKey(key);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  if (!Number.isInteger(timestamp) || timestamp < publicKey.creationTime || timestamp > 0xffffffff) {
    throw airsignError('OPENPGP_TIME_INVALID', `the signature time must be a whole number of seconds from ${publicKey.creationTime} (2000-01-01), got ${timestamp}`);
  }
  const onePass = packet(
    PacketTag.OnePassSignature,
    concatBytes(Uint8Array.of(3, SignatureType.BinaryDocument, publicKey.hashId, publicKey.algorithm), publicKey.keyId, Uint8Array.of(1)),
  );
  // Literal data: format 'b', empty file name, date.
  const literal = packet(PacketTag.LiteralData, concatBytes(Uint8Array.of(0x62, 0), timeField(timestamp), payload));
  const expiresAfter = options.expiresAfter;
  if (expiresAfter !== undefined && (!Number.isInteger(expiresAfter) || expiresAfter <= 0 || timestamp + expiresAfter > 0xffffffff)) {
    throw airsignError('OPENPGP_TIME_INVALID', `the signature lifetime must be a positive whole number of seconds, got ${expiresAfter}`);
  }
  const signature = await signaturePacket(key, publicKey, [payload], {
    signatureType: SignatureType.BinaryDocument,
    creationTime: timestamp,
    ...(expiresAfter === undefined ? {} : { extraHashed: [subpacket(SubpacketType.SignatureExpirationTime, timeField(expiresAfter))] }),
  });
  return concatBytes(onePass, literal, signature);
}
