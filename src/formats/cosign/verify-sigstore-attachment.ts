/**
 * A cosign (sigstore) signature as one file, the way containers/image stores one outside a registry
 * (`dir:` transport `signature-N`: a 0x00 byte, `sigstore-json`, a newline, then
 * {"mimeType","payload" (base64),"annotations"}), checked on its own: it must be a simple-signing
 * attachment and its `dev.cosignproject.cosign/signature` must verify over the exact payload bytes
 * with one of the given public keys. Returns the payload and which key signed it (facts).
 */
import { verify, type KeyObject } from 'node:crypto';
import { airsignError } from '../../errors.js';
import { MediaType } from '../../media-types.js';

export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const COSIGN_BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle';
const FILE_PREFIX = '\x00sigstore-json\n';

export interface SigstoreAttachment {
  mimeType: string;
  payload: Uint8Array;
  annotations: Record<string, string>;
}

export interface VerifiedCosignSignature {
  payload: Uint8Array;
  /** Index of the key in the list given that verified it. */
  keyIndex: number;
}

/** Parses a `sigstore-json` signature file; throws verification COSIGN_NOT_A_SIGNATURE. */
export function parseSigstoreAttachmentFile(bytes: Uint8Array): SigstoreAttachment {
  const bad = (message: string): never => {
    throw airsignError('COSIGN_NOT_A_SIGNATURE', `the signature file is not a sigstore signature: ${message}`);
  };
  const prefix = new TextEncoder().encode(FILE_PREFIX);
  if (bytes.length < prefix.length || !prefix.every((b, i) => bytes[i] === b)) bad('it does not start with "\\0sigstore-json\\n"');
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(prefix.length)));
  } catch {
    return bad('the JSON after the header is invalid');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return bad('not a JSON object');
  const { mimeType, payload, annotations } = doc as Record<string, unknown>;
  if (typeof mimeType !== 'string') bad('mimeType is missing');
  if (typeof payload !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(payload)) bad('payload is not base64');
  if (typeof annotations !== 'object' || annotations === null || Array.isArray(annotations) || !Object.values(annotations).every((v) => typeof v === 'string')) {
    bad('annotations must be an object of strings');
  }
  return { mimeType: mimeType as string, payload: new Uint8Array(Buffer.from(payload as string, 'base64')), annotations: annotations as Record<string, string> };
}

/**
 * Checks the attachment is a cosign simple-signing signature verified by one of `keys`. Throws
 * verification COSIGN_NOT_A_SIGNATURE or COSIGN_SIGNATURE_INVALID.
 */
export function verifyCosignAttachment(attachment: SigstoreAttachment, keys: KeyObject[]): VerifiedCosignSignature {
  if (attachment.mimeType !== MediaType.CosignSimpleSigning) {
    throw airsignError('COSIGN_NOT_A_SIGNATURE', `the sigstore attachment has media type "${attachment.mimeType}", not ${MediaType.CosignSimpleSigning}: it is not a signature`);
  }
  const encoded = attachment.annotations[COSIGN_SIGNATURE_ANNOTATION];
  if (encoded === undefined || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded === '') {
    throw airsignError('COSIGN_NOT_A_SIGNATURE', `the attachment has no ${COSIGN_SIGNATURE_ANNOTATION} annotation`);
  }
  const signature = Buffer.from(encoded, 'base64');
  const keyIndex = keys.findIndex((key) => {
    try {
      return verify(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', attachment.payload, key, signature);
    } catch {
      return false;
    }
  });
  if (keyIndex < 0) {
    throw airsignError('COSIGN_SIGNATURE_INVALID', keys.length === 1
      ? 'the cosign signature does not verify with the public key (another key signed it, or the payload was changed)'
      : `the cosign signature does not verify with any of the ${keys.length} public keys`);
  }
  return { payload: attachment.payload, keyIndex };
}
