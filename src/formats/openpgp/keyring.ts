/**
 * Public keyrings as users hand them over (`gpg --export` binary, `--armor` text, several keys
 * concatenated): each primary key with its user IDs and subkeys, and what its own signatures say —
 * revoked or not, when it expires, which subkeys are bound to it for signing. Only signatures that
 * verify with the primary key count (a forged revocation or binding is ignored).
 */
import { airsignError } from '../../errors.js';
import { dearmorIfArmored, readPackets } from './packet-reader.js';
import { concatBytes, uint32 } from './packets.js';
import { keyHashData, parsePublicKey, parseSignature, signatureVerifies, type ParsedPublicKey, type ParsedSignature } from './signature-check.js';

export interface KeyringSubkey {
  key: ParsedPublicKey;
  /** A valid binding signature by the primary (with a back-signature when it may sign). */
  bound: boolean;
  canSign: boolean;
  revoked: boolean;
  /** Seconds since the epoch; undefined = never. */
  expiresAt?: number;
}

export interface KeyringKey {
  primary: ParsedPublicKey;
  userIds: string[];
  revoked: boolean;
  /** False when the newest valid self-certification gives key flags without "sign" (gpg: "wrong key usage"). */
  canSign: boolean;
  expiresAt?: number;
  subkeys: KeyringSubkey[];
}

const KEY_REVOCATION = 0x20;
const SUBKEY_BINDING = 0x18;
const PRIMARY_BINDING = 0x19;
const SUBKEY_REVOCATION = 0x28;
const CERTIFICATIONS = new Set([0x10, 0x11, 0x12, 0x13]);

/** Parses every public key in `data`; throws input OPENPGP_KEYRING_INVALID. */
export function parseKeyring(data: Uint8Array, what: string): KeyringKey[] {
  const packets = readPackets(dearmorIfArmored(data, 'OPENPGP_KEYRING_INVALID', what), 'OPENPGP_KEYRING_INVALID', what);
  const keys: KeyringKey[] = [];
  let current: { key: KeyringKey; userIdSigs: Array<{ userId: Uint8Array; sig: ParsedSignature }>; directSigs: ParsedSignature[]; subkeySigs: Map<KeyringSubkey, ParsedSignature[]> } | undefined;
  let lastUserId: Uint8Array | undefined;
  let lastSubkey: KeyringSubkey | undefined;
  const finish = () => {
    if (current !== undefined) keys.push(resolveKey(current.key, current.userIdSigs, current.directSigs, current.subkeySigs));
  };
  for (const packet of packets) {
    switch (packet.tag) {
      case 6:
        finish();
        current = {
          key: { primary: parsePublicKey(packet.body, 'OPENPGP_KEYRING_INVALID', what), userIds: [], revoked: false, canSign: true, subkeys: [] },
          userIdSigs: [],
          directSigs: [],
          subkeySigs: new Map(),
        };
        lastUserId = undefined;
        lastSubkey = undefined;
        break;
      case 13:
        if (current === undefined) throw airsignError('OPENPGP_KEYRING_INVALID', `${what}: a user ID comes before any public key`);
        lastUserId = packet.body;
        current.key.userIds.push(new TextDecoder().decode(packet.body));
        break;
      case 17:
        lastUserId = undefined;
        break;
      case 14: {
        if (current === undefined) throw airsignError('OPENPGP_KEYRING_INVALID', `${what}: a subkey comes before any public key`);
        const sub: KeyringSubkey = { key: parsePublicKey(packet.body, 'OPENPGP_KEYRING_INVALID', what), bound: false, canSign: false, revoked: false };
        current.key.subkeys.push(sub);
        current.subkeySigs.set(sub, []);
        lastSubkey = sub;
        break;
      }
      case 2: {
        if (current === undefined) throw airsignError('OPENPGP_KEYRING_INVALID', `${what}: a signature comes before any public key`);
        let sig: ParsedSignature;
        try {
          sig = parseSignature(packet.body, 'OPENPGP_KEYRING_INVALID', what);
        } catch {
          break; // e.g. a v3 or v5 signature we cannot use: ignored, as it cannot grant anything
        }
        if (lastSubkey !== undefined) current.subkeySigs.get(lastSubkey)!.push(sig);
        else if (lastUserId !== undefined) current.userIdSigs.push({ userId: lastUserId, sig });
        else current.directSigs.push(sig);
        break;
      }
      case 5:
      case 7:
        throw airsignError('OPENPGP_KEYRING_INVALID', `${what} holds a secret key; give the public key (gpg --export)`);
      default:
        break; // trust, marker and other packets carry nothing we use
    }
  }
  finish();
  if (keys.length === 0) throw airsignError('OPENPGP_KEYRING_INVALID', `${what} holds no OpenPGP public key`);
  return keys;
}

function resolveKey(
  key: KeyringKey,
  userIdSigs: Array<{ userId: Uint8Array; sig: ParsedSignature }>,
  directSigs: ParsedSignature[],
  subkeySigs: Map<KeyringSubkey, ParsedSignature[]>,
): KeyringKey {
  const primary = key.primary;
  const primaryData = keyHashData(primary);
  const bySelf = (sig: ParsedSignature) => sig.issuerKeyId === undefined || sig.issuerKeyId === primary.keyId;
  key.revoked = directSigs.some((sig) => sig.type === KEY_REVOCATION && bySelf(sig) && signatureVerifies(sig, primary, [primaryData]));
  // The newest valid self-certification says when the key expires.
  let newest: ParsedSignature | undefined;
  for (const { userId, sig } of userIdSigs) {
    if (!CERTIFICATIONS.has(sig.type) || !bySelf(sig)) continue;
    const userIdData = concatBytes(Uint8Array.of(0xb4), uint32(userId.length), userId);
    if (!signatureVerifies(sig, primary, [primaryData, userIdData])) continue;
    if (newest === undefined || (sig.creationTime ?? 0) > (newest.creationTime ?? 0)) newest = sig;
  }
  if (newest?.keyExpirationSeconds) key.expiresAt = primary.creationTime + newest.keyExpirationSeconds;
  // No key-flags subpacket (v3 certifications, old keys): the algorithm decides, and we only verify with signing algorithms.
  key.canSign = newest?.keyFlags === undefined || (newest.keyFlags & 0x02) !== 0;
  for (const [sub, sigs] of subkeySigs) {
    const data = [primaryData, keyHashData(sub.key)];
    sub.revoked = sigs.some((sig) => sig.type === SUBKEY_REVOCATION && bySelf(sig) && signatureVerifies(sig, primary, data));
    let binding: ParsedSignature | undefined;
    for (const sig of sigs) {
      if (sig.type !== SUBKEY_BINDING || !bySelf(sig) || !signatureVerifies(sig, primary, data)) continue;
      if (binding === undefined || (sig.creationTime ?? 0) > (binding.creationTime ?? 0)) binding = sig;
    }
    if (binding === undefined) continue;
    sub.bound = true;
    if (binding.keyExpirationSeconds) sub.expiresAt = sub.key.creationTime + binding.keyExpirationSeconds;
    const flagsAllowSigning = binding.keyFlags === undefined || (binding.keyFlags & 0x02) !== 0;
    // A signing subkey must sign its own binding back (RFC 4880 §5.2.1, 0x19), so nobody can claim another's key.
    let backSigned = false;
    if (binding.embedded !== undefined) {
      try {
        const back = parseSignature(binding.embedded, 'OPENPGP_KEYRING_INVALID', 'embedded signature');
        backSigned = back.type === PRIMARY_BINDING && signatureVerifies(back, sub.key, data);
      } catch {
        backSigned = false;
      }
    }
    sub.canSign = flagsAllowSigning && backSigned;
  }
  return key;
}
