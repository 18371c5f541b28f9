/**
 * Checks an OpenPGP signed message that signOpenPgpMessage made, against the signing key's public
 * key, before anything is written (every signature is verified right after it is made). Reads only
 * the shape we write: one-pass signature, literal data, one v4 signature packet with new-format
 * headers. Returns the signed payload; throws SIGNATURE_SELF_CHECK_FAILED (kind key) otherwise.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { airsignError } from '../../errors.js';
import type { OpenPgpPublicKey } from './public-key.js';
import { PacketTag, PublicKeyAlgorithm, SubpacketType, concatBytes } from './packets.js';

interface Packet {
  tag: number;
  body: Uint8Array;
}

function fail(why: string): never {
  throw airsignError('SIGNATURE_SELF_CHECK_FAILED', `the OpenPGP signature just made does not verify with the key's public key: ${why}`);
}

function readPackets(bytes: Uint8Array): Packet[] {
  const packets: Packet[] = [];
  let at = 0;
  while (at < bytes.length) {
    const header = bytes[at]!;
    if ((header & 0xc0) !== 0xc0) fail('not a new-format packet');
    const tag = header & 0x3f;
    const first = bytes[at + 1];
    let length: number;
    let start: number;
    if (first === undefined) fail('truncated packet header');
    if (first < 192) {
      length = first;
      start = at + 2;
    } else if (first < 224) {
      length = ((first - 192) << 8) + (bytes[at + 2] ?? 0) + 192;
      start = at + 3;
    } else if (first === 255) {
      length = ((bytes[at + 2]! << 24) >>> 0) + (bytes[at + 3]! << 16) + (bytes[at + 4]! << 8) + bytes[at + 5]!;
      start = at + 6;
    } else {
      fail('partial body lengths');
    }
    if (start + length > bytes.length) fail('truncated packet');
    packets.push({ tag, body: bytes.subarray(start, start + length) });
    at = start + length;
  }
  return packets;
}

/** Reads an MPI at `at`; returns its magnitude and the offset after it. */
function readMpi(bytes: Uint8Array, at: number): [Uint8Array, number] {
  if (at + 2 > bytes.length) fail('truncated MPI');
  const bits = (bytes[at]! << 8) | bytes[at + 1]!;
  const length = Math.ceil(bits / 8);
  if (at + 2 + length > bytes.length) fail('truncated MPI');
  return [bytes.subarray(at + 2, at + 2 + length), at + 2 + length];
}

function leftPad(bytes: Uint8Array, length: number): Uint8Array {
  if (bytes.length > length) fail('MPI longer than the key allows');
  return concatBytes(new Uint8Array(length - bytes.length), bytes);
}

/** Hashed subpackets by type (first occurrence). */
function subpackets(area: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  let at = 0;
  while (at < area.length) {
    const first = area[at]!;
    let length: number;
    if (first < 192) {
      length = first;
      at += 1;
    } else if (first < 255) {
      length = ((first - 192) << 8) + area[at + 1]! + 192;
      at += 2;
    } else {
      length = ((area[at + 1]! << 24) >>> 0) + (area[at + 2]! << 16) + (area[at + 3]! << 8) + area[at + 4]!;
      at += 5;
    }
    if (length < 1 || at + length > area.length) fail('bad subpacket');
    const type = area[at]! & 0x7f;
    if (!out.has(type)) out.set(type, area.subarray(at + 1, at + length));
    at += length;
  }
  return out;
}

const EC_FIELD_BYTES: Record<string, number> = { 'ecdsa-p256': 32, 'ecdsa-p384': 48, 'ecdsa-p521': 66 };

export function verifyOpenPgpMessage(message: Uint8Array, publicKey: OpenPgpPublicKey, spki: Uint8Array): Uint8Array {
  const packets = readPackets(message);
  if (packets.length !== 3 || packets[0]!.tag !== PacketTag.OnePassSignature || packets[1]!.tag !== PacketTag.LiteralData || packets[2]!.tag !== PacketTag.Signature) {
    fail('not one-pass signature, literal data, signature');
  }
  const literal = packets[1]!.body;
  const nameLength = literal[1] ?? 0;
  const payload = literal.subarray(2 + nameLength + 4);

  const sig = packets[2]!.body;
  if (sig[0] !== 4) fail('not a v4 signature');
  if (sig[2] !== publicKey.algorithm || sig[3] !== publicKey.hashId) fail('algorithm or hash differs from the key');
  const hashedLength = (sig[4]! << 8) | sig[5]!;
  const head = sig.subarray(0, 6 + hashedLength);
  const hashed = subpackets(sig.subarray(6, 6 + hashedLength));
  const issuer = hashed.get(SubpacketType.IssuerFingerprint);
  if (issuer === undefined || issuer[0] !== 4 || !Buffer.from(issuer.subarray(1)).equals(Buffer.from(publicKey.fingerprint))) {
    fail('issuer fingerprint is not the key\'s');
  }
  if (!hashed.has(SubpacketType.SignatureCreationTime)) fail('no signature creation time');
  let at = 6 + hashedLength;
  const unhashedLength = (sig[at]! << 8) | sig[at + 1]!;
  at += 2 + unhashedLength;
  const left16 = sig.subarray(at, at + 2);
  at += 2;
  const trailer = Uint8Array.of(4, 0xff, (head.length >>> 24) & 0xff, (head.length >>> 16) & 0xff, (head.length >>> 8) & 0xff, head.length & 0xff);
  const signed = concatBytes(payload, head, trailer);
  const digest = createHash(publicKey.hash).update(signed).digest();
  if (digest[0] !== left16[0] || digest[1] !== left16[1]) fail('the digest prefix differs');

  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  let ok: boolean;
  switch (publicKey.algorithm) {
    case PublicKeyAlgorithm.RsaEncryptOrSign: {
      const [s] = readMpi(sig, at);
      const modulusBytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? s.length * 8) / 8);
      ok = verify(publicKey.hash, signed, key, leftPad(s, modulusBytes));
      break;
    }
    case PublicKeyAlgorithm.Ecdsa: {
      const [r, next] = readMpi(sig, at);
      const [s] = readMpi(sig, next);
      const size = EC_FIELD_BYTES[publicKey.keyType] ?? fail('unknown curve');
      ok = verify(publicKey.hash, signed, { key, dsaEncoding: 'ieee-p1363' }, concatBytes(leftPad(r, size), leftPad(s, size)));
      break;
    }
    case PublicKeyAlgorithm.EdDsaLegacy: {
      const [r, next] = readMpi(sig, at);
      const [s] = readMpi(sig, next);
      ok = verify(null, digest, key, concatBytes(leftPad(r, 32), leftPad(s, 32)));
      break;
    }
    default:
      fail(`unknown algorithm ${publicKey.algorithm}`);
  }
  if (!ok) fail('bad signature');
  return payload;
}
