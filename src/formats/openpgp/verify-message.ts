/**
 * Verifies an OpenPGP signed message (what `gpg --sign` writes and GPG simple signing stores): the
 * packets, optionally compressed, are a one-pass signature, one literal data packet and exactly one
 * signature (or the old form: the signature, then the data) — the shapes gpgme verifies, with the
 * one signature containers/image requires — or a cleartext signed message (`gpg --clearsign`),
 * which gpgme verifies too. Returns facts — the signed content and who signed it — only when a signature is
 * good: made by a key in the keyring (a subkey counts as its primary, if bound for signing), not
 * expired, not by a revoked or expired key. Every rejection is a verification error.
 */
import { airsignError } from '../../errors.js';
import { isCleartextSigned, readCleartextSigned } from './cleartext.js';
import type { KeyringKey } from './keyring.js';
import { decompress, dearmorIfArmored, readPackets, type Packet } from './packet-reader.js';
import { parseSignature, signatureProblem, type ParsedPublicKey, type ParsedSignature } from './signature-check.js';

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
const PACKET_NAMES: Record<number, string> = { 2: 'signature', 4: 'one-pass signature', 11: 'literal data' };

/**
 * Throws OPENPGP_MESSAGE_MALFORMED, OPENPGP_UNKNOWN_SIGNER, OPENPGP_SIGNATURE_INVALID,
 * OPENPGP_UNSUPPORTED, OPENPGP_KEY_USAGE, OPENPGP_SIGNATURE_EXPIRED or OPENPGP_KEY_REVOKED.
 */
export function verifyOpenPgpMessage(data: Uint8Array, keyring: KeyringKey[], options: VerifyMessageOptions = {}): VerifiedOpenPgpMessage {
  const what = 'the signature';
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (isCleartextSigned(data)) {
    const { content, signaturePackets } = readCleartextSigned(data);
    const sig = parseSignature(onlySignature(readPackets(signaturePackets, 'OPENPGP_MESSAGE_MALFORMED', what)), 'OPENPGP_MESSAGE_MALFORMED', what);
    if (sig.type !== 0x01) throw airsignError('OPENPGP_MESSAGE_MALFORMED', `a cleartext signed message needs a text signature (type 0x01), not type 0x${sig.type.toString(16)}`);
    return checkOne(sig, content, keyring, now);
  }
  const { literal, signature } = messageParts(readPackets(dearmorIfArmored(data, 'OPENPGP_MESSAGE_MALFORMED', what), 'OPENPGP_MESSAGE_MALFORMED', what), 0);
  const content = literalContent(literal);
  return checkOne(parseSignature(signature, 'OPENPGP_MESSAGE_MALFORMED', what), content, keyring, now);
}

/** The signature block of a cleartext message: exactly one signature packet. */
function onlySignature(packets: Packet[]): Uint8Array {
  const meaningful = packets.filter((p) => p.tag !== 10);
  const other = meaningful.find((p) => p.tag !== 2);
  if (other !== undefined) throw airsignError('OPENPGP_MESSAGE_MALFORMED', `the cleartext signature block holds a packet of type ${other.tag}`);
  if (meaningful.length !== 1) throw airsignError('OPENPGP_MESSAGE_MALFORMED', `the cleartext signature block holds ${meaningful.length} signatures; a simple signature holds exactly one (as gpgme and containers/image require)`);
  return meaningful[0]!.body;
}

function messageParts(packets: Packet[], depth: number): { literal: Uint8Array; signature: Uint8Array } {
  const malformed = (message: string): never => {
    throw airsignError('OPENPGP_MESSAGE_MALFORMED', `the signature is not an OpenPGP signed message: ${message}`);
  };
  const meaningful = packets.filter((p) => p.tag !== 10); // marker packets
  if (meaningful.length === 1 && meaningful[0]!.tag === 8) {
    if (depth >= MAX_NESTING) malformed('compressed packets nested too deeply');
    const inner = decompress(meaningful[0]!.body, 'OPENPGP_MESSAGE_MALFORMED', 'the signature');
    return messageParts(readPackets(inner, 'OPENPGP_MESSAGE_MALFORMED', 'the signature'), depth + 1);
  }
  const tags = meaningful.map((p) => p.tag);
  const literals = tags.filter((t) => t === 11).length;
  const signatures = tags.filter((t) => t === 2).length;
  if (literals !== 1) malformed(literals === 0 ? 'no literal data packet (a detached signature is not enough)' : 'more than one literal data packet');
  const other = tags.find((t) => t !== 11 && t !== 4 && t !== 2);
  if (other !== undefined) malformed(`unexpected packet type ${other}`);
  if (signatures === 0) malformed('no signature packet');
  if (signatures > 1) malformed(`it holds ${signatures} signatures; a simple signature holds exactly one (as gpgme and containers/image require)`);
  // gpgme accepts a one-pass signed message (one-pass signature, data, signature) and the old form
  // (signature, data); anything else — the signature after the data without a one-pass packet, or
  // between a one-pass packet and the data — yields no signature there.
  const shape = tags.join(',');
  if (shape !== '4,11,2' && shape !== '2,11') {
    malformed(`its packets are in an order gpgme does not verify (${meaningful.map((p) => PACKET_NAMES[p.tag]).join(', ')}); expected one-pass signature, literal data, signature`);
  }
  return { literal: meaningful.find((p) => p.tag === 11)!.body, signature: meaningful.find((p) => p.tag === 2)!.body };
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
  const problem = signatureProblem(sig, found.key, [data]);
  if (problem?.kind === 'unsupported') throw airsignError('OPENPGP_UNSUPPORTED', `the signature by key ${keyId} cannot be checked: ${problem.reason}`, { details: { keyId } });
  if (problem !== undefined) throw airsignError('OPENPGP_SIGNATURE_INVALID', `the signature by key ${keyId} does not verify (${problem.reason})`, { details: { keyId } });
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
  if (found.subkey === undefined && !owner.canSign) {
    throw airsignError('OPENPGP_KEY_USAGE', `key ${owner.primary.fingerprint} may not sign: its newest self-signature does not give it the sign flag (gpg: wrong key usage)`, { details: { keyId } });
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
