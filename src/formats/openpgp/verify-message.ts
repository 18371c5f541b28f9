/**
 * Verifies an OpenPGP signed message (what `gpg --sign` writes and GPG simple signing stores): the
 * packets, optionally compressed, hold one-pass signature(s), one literal data packet and the
 * signature(s). Returns facts — the signed content and who signed it — only when a signature is
 * good: made by a key in the keyring (a subkey counts as its primary, if bound for signing), not
 * expired, not by a revoked or expired key. Every rejection is a verification error.
 */
import { airsignError } from '../../errors.js';
import type { KeyringKey } from './keyring.js';
import { decompress, dearmorIfArmored, readPackets, type Packet } from './packet-reader.js';
import { parseSignature, signatureVerifies, type ParsedPublicKey, type ParsedSignature } from './signature-check.js';

export interface VerifiedOpenPgpMessage {
  /** The literal data: what was signed. */
  content: Uint8Array;
  /** Fingerprint of the primary key that signed (directly or through a subkey), 40 hex upper case. */
  primaryFingerprint: string;
  /** Fingerprint of the key whose signature this is (a subkey's, when a subkey signed). */
  signingKeyFingerprint: string;
  /** Signature creation time, seconds since the epoch. */
  creationTime?: number;
}

export interface VerifyMessageOptions {
  /** Verification time (default now). */
  now?: Date;
}

const MAX_NESTING = 4;

/** Throws OPENPGP_MESSAGE_MALFORMED, OPENPGP_UNKNOWN_SIGNER, OPENPGP_SIGNATURE_INVALID, OPENPGP_SIGNATURE_EXPIRED or OPENPGP_KEY_REVOKED. */
export function verifyOpenPgpMessage(data: Uint8Array, keyring: KeyringKey[], options: VerifyMessageOptions = {}): VerifiedOpenPgpMessage {
  const what = 'the signature';
  const { literal, signatures } = messageParts(readPackets(dearmorIfArmored(data, 'OPENPGP_MESSAGE_MALFORMED', what), 'OPENPGP_MESSAGE_MALFORMED', what), 0);
  const content = literalContent(literal);
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  let firstError: Error | undefined;
  for (const body of signatures) {
    try {
      return checkOne(parseSignature(body, 'OPENPGP_MESSAGE_MALFORMED', what), content, keyring, now);
    } catch (e) {
      firstError ??= e as Error;
    }
  }
  throw firstError ?? airsignError('OPENPGP_MESSAGE_MALFORMED', 'the message holds no signature');
}

function messageParts(packets: Packet[], depth: number): { literal: Uint8Array; signatures: Uint8Array[] } {
  const malformed = (message: string): never => {
    throw airsignError('OPENPGP_MESSAGE_MALFORMED', `the signature is not an OpenPGP signed message: ${message}`);
  };
  const meaningful = packets.filter((p) => p.tag !== 10); // marker packets
  if (meaningful.length === 1 && meaningful[0]!.tag === 8) {
    if (depth >= MAX_NESTING) malformed('compressed packets nested too deeply');
    const inner = decompress(meaningful[0]!.body, 'OPENPGP_MESSAGE_MALFORMED', 'the signature');
    return messageParts(readPackets(inner, 'OPENPGP_MESSAGE_MALFORMED', 'the signature'), depth + 1);
  }
  const literals = meaningful.filter((p) => p.tag === 11);
  if (literals.length !== 1) malformed(literals.length === 0 ? 'no literal data packet (a detached signature is not enough)' : 'more than one literal data packet');
  const other = meaningful.find((p) => p.tag !== 11 && p.tag !== 4 && p.tag !== 2);
  if (other !== undefined) malformed(`unexpected packet type ${other.tag}`);
  const signatures = meaningful.filter((p) => p.tag === 2).map((p) => p.body);
  if (signatures.length === 0) malformed('no signature packet');
  return { literal: literals[0]!.body, signatures };
}

function literalContent(body: Uint8Array): Uint8Array {
  if (body.length < 6) throw airsignError('OPENPGP_MESSAGE_MALFORMED', 'the literal data packet is truncated');
  const nameLength = body[1]!;
  const start = 2 + nameLength + 4;
  if (start > body.length) throw airsignError('OPENPGP_MESSAGE_MALFORMED', 'the literal data packet is truncated');
  return body.subarray(start);
}

function checkOne(sig: ParsedSignature, content: Uint8Array, keyring: KeyringKey[], now: number): VerifiedOpenPgpMessage {
  if (sig.type !== 0x00 && sig.type !== 0x01) {
    throw airsignError('OPENPGP_MESSAGE_MALFORMED', `signature type 0x${sig.type.toString(16)} is not a document signature`);
  }
  const keyId = sig.issuerKeyId;
  if (keyId === undefined) throw airsignError('OPENPGP_UNKNOWN_SIGNER', 'the signature does not name its key');
  let found: { owner: KeyringKey; key: ParsedPublicKey; subkey?: KeyringKey['subkeys'][number] } | undefined;
  for (const owner of keyring) {
    if (owner.primary.keyId === keyId) found = { owner, key: owner.primary };
    const sub = owner.subkeys.find((s) => s.key.keyId === keyId);
    if (sub !== undefined) found = { owner, key: sub.key, subkey: sub };
    if (found !== undefined) break;
  }
  if (found === undefined) throw airsignError('OPENPGP_UNKNOWN_SIGNER', `the signature is by key ${keyId}, which is not in the keyring`, { details: { keyId } });
  const data = sig.type === 0x01 ? canonicalText(content) : content;
  if (!signatureVerifies(sig, found.key, [data])) {
    throw airsignError('OPENPGP_SIGNATURE_INVALID', `the signature by key ${keyId} does not verify (the signed data or the signature was changed)`, { details: { keyId } });
  }
  const created = sig.creationTime;
  if (created === undefined) throw airsignError('OPENPGP_MESSAGE_MALFORMED', 'the signature has no creation time');
  if (sig.expirationSeconds && now >= created + sig.expirationSeconds) {
    throw airsignError('OPENPGP_SIGNATURE_EXPIRED', `the signature by key ${keyId} expired at ${new Date((created + sig.expirationSeconds) * 1000).toISOString()}`);
  }
  const owner = found.owner;
  if (owner.revoked) throw airsignError('OPENPGP_KEY_REVOKED', `key ${owner.primary.fingerprint} is revoked`);
  if (owner.expiresAt !== undefined && now >= owner.expiresAt) {
    throw airsignError('OPENPGP_SIGNATURE_EXPIRED', `key ${owner.primary.fingerprint} expired at ${new Date(owner.expiresAt * 1000).toISOString()}`);
  }
  if (found.subkey !== undefined) {
    const sub = found.subkey;
    if (sub.revoked) throw airsignError('OPENPGP_KEY_REVOKED', `subkey ${sub.key.fingerprint} of key ${owner.primary.fingerprint} is revoked`);
    if (!sub.bound || !sub.canSign) throw airsignError('OPENPGP_UNKNOWN_SIGNER', `subkey ${sub.key.fingerprint} is not bound to key ${owner.primary.fingerprint} for signing`);
    if (sub.expiresAt !== undefined && now >= sub.expiresAt) {
      throw airsignError('OPENPGP_SIGNATURE_EXPIRED', `subkey ${sub.key.fingerprint} expired at ${new Date(sub.expiresAt * 1000).toISOString()}`);
    }
  }
  return {
    content,
    primaryFingerprint: owner.primary.fingerprint,
    signingKeyFingerprint: found.key.fingerprint,
    creationTime: created,
  };
}

/** Text signatures (0x01) hash the text with CRLF line endings. */
function canonicalText(content: Uint8Array): Uint8Array {
  const text = Buffer.from(content).toString('latin1').replace(/\r?\n/g, '\r\n');
  return new Uint8Array(Buffer.from(text, 'latin1'));
}
