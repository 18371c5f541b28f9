/** Reads a key's type and public key (SPKI) from PKCS#11 attributes. */
import { airsignError } from '../../errors.js';
import type { KeyType } from '../../key-backend.js';
import { spkiFromEcPoint, spkiFromEd25519, spkiFromRsa, type EcCurve } from '../signature-encoding.js';
import { CK } from './pkcs11-constants.js';
import { ulongFromBytes } from './pkcs11-ffi.js';
import type { Handle, Pkcs11Token } from './pkcs11-session-manager.js';

const EC_PARAMS: Record<string, EcCurve | 'Ed25519'> = {
  '06082a8648ce3d030107': 'P-256',
  '06052b81040022': 'P-384',
  '06052b81040023': 'P-521',
  '06032b6570': 'Ed25519', // OID 1.3.101.112
  '130c656477617264733235353139': 'Ed25519', // PrintableString "edwards25519" (SoftHSM)
  '130a63757276653235353139': 'Ed25519', // PrintableString "curve25519"
};

const POINT_BYTES: Record<EcCurve | 'Ed25519', number> = { 'P-256': 65, 'P-384': 97, 'P-521': 133, Ed25519: 32 };

export type KeyFamily = 'rsa' | 'ec' | 'ed25519' | 'other';

function keyFamily(token: Pkcs11Token, ckk: number | undefined): KeyFamily {
  const lib = token.module.lib;
  if (ckk === lib.CKK_RSA) return 'rsa';
  if (ckk === lib.CKK_EC) return 'ec';
  if (ckk === CK.CKK_EC_EDWARDS) return 'ed25519';
  return 'other';
}

export function readUlong(value: Buffer | undefined): number | undefined {
  return ulongFromBytes(value);
}

/** Curve named by DER CKA_EC_PARAMS, or undefined. */
function curveOfParams(params: Buffer | undefined): EcCurve | 'Ed25519' | undefined {
  return params === undefined ? undefined : EC_PARAMS[params.toString('hex')];
}

/** CKA_EC_POINT is a DER OCTET STRING in PKCS#11 (some modules return the bare point). */
function unwrapEcPoint(value: Buffer, curve: EcCurve | 'Ed25519'): Uint8Array {
  if (value.length === POINT_BYTES[curve]) return new Uint8Array(value);
  if (value[0] === 0x04) {
    let offset = 2;
    let length = value[1] ?? 0;
    if (length & 0x80) {
      const count = length & 0x7f;
      length = 0;
      for (let i = 0; i < count; i++) length = (length << 8) | (value[2 + i] ?? 0);
      offset = 2 + count;
    }
    if (offset + length === value.length && length === POINT_BYTES[curve]) return new Uint8Array(value.subarray(offset));
  }
  throw airsignError('KEY_PUBLIC_KEY_INVALID', `the token's ${curve} public point has an unexpected encoding`);
}

/**
 * Key type and SPKI of the key pair whose objects are `privateKey` and (optionally) `publicKey`.
 * RSA keys yield their public parts from the private object as well.
 */
export function readKeyPublicParts(token: Pkcs11Token, privateKey: Handle | undefined, publicKey: Handle | undefined): { keyType: KeyType; spki: Uint8Array } | undefined {
  const lib = token.module.lib;
  const source = publicKey ?? privateKey;
  if (source === undefined) return undefined;
  const [ckkRaw] = token.attributes(source, [lib.CKA_KEY_TYPE]);
  const family = keyFamily(token, readUlong(ckkRaw));
  if (family === 'rsa') {
    for (const handle of [publicKey, privateKey]) {
      if (handle === undefined) continue;
      const [n, e] = token.attributes(handle, [lib.CKA_MODULUS, lib.CKA_PUBLIC_EXPONENT]);
      if (n && e && n.length > 0 && e.length > 0) return spkiFromRsa(n, e);
    }
    return undefined;
  }
  if (family === 'ec' || family === 'ed25519') {
    const [params] = token.attributes(source, [lib.CKA_EC_PARAMS]);
    const curve = curveOfParams(params);
    if (curve === undefined) {
      throw airsignError('KEY_TYPE_UNSUPPORTED', `unsupported curve on the token (CKA_EC_PARAMS ${params?.toString('hex') ?? 'missing'})`);
    }
    for (const handle of [publicKey, privateKey]) {
      if (handle === undefined) continue;
      const [point] = token.attributes(handle, [lib.CKA_EC_POINT]);
      if (point && point.length > 0) {
        const raw = unwrapEcPoint(point, curve);
        return curve === 'Ed25519' ? spkiFromEd25519(raw) : spkiFromEcPoint(curve, raw);
      }
    }
    return undefined;
  }
  throw airsignError('KEY_TYPE_UNSUPPORTED', `unsupported key type on the token (CKA_KEY_TYPE ${readUlong(ckkRaw) ?? 'missing'}); use ECDSA, RSA or Ed25519`);
}
