/**
 * A cosign v3 signature bundle (Sigstore bundle v0.3 holding a DSSE envelope, the layer of a
 * bundle referrer) checked on its own, key-based, as sigstore-js's @sigstore/verify checks one with
 * a public key: the bundle must be well formed, its one DSSE signature must verify over the PAE of
 * (payloadType, payload) with one of the given keys. Returns the statement bytes and which key
 * signed (facts); what the statement must say is for src/verify/ to decide.
 */
import { verify, type KeyObject } from 'node:crypto';
import { airsignError } from '../../errors.js';
import { MediaType } from '../../media-types.js';
import { dssePae } from './sigstore-bundle.js';
import { isJsonObject, parseJsonObject } from '../../json-object.js';

export interface VerifiedCosignBundle {
  /** The DSSE payload (an in-toto statement for cosign). */
  payload: Uint8Array;
  payloadType: string;
  /** Index of the key in the list given that verified it. */
  keyIndex: number;
  /** Transparency-log entries and timestamps the bundle carries (not checked offline). */
  tlogEntries: number;
  timestamps: number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Checks `bytes` is a v0.3 (or v0.2/v0.1) bundle with a DSSE envelope signed by one of `keys`.
 * Throws verification SIGSTORE_BUNDLE_INVALID (malformed, certificate-based, message signature) or
 * COSIGN_SIGNATURE_INVALID (no key verifies it).
 */
export function verifyCosignBundle(bytes: Uint8Array, keys: KeyObject[]): VerifiedCosignBundle {
  const bad = (message: string): never => {
    throw airsignError('SIGSTORE_BUNDLE_INVALID', `the Sigstore bundle is not valid: ${message}`);
  };
  const doc = parseJsonObject(bytes, bad);
  if (typeof doc.mediaType !== 'string' || !doc.mediaType.startsWith('application/vnd.dev.sigstore.bundle')) {
    bad(`mediaType ${JSON.stringify(doc.mediaType)} is not a Sigstore bundle media type`);
  }
  const material = doc.verificationMaterial;
  if (!isJsonObject(material)) return bad('verificationMaterial is missing');
  if (material.certificate !== undefined || material.x509CertificateChain !== undefined) {
    bad('it is certificate-based (keyless); only public-key bundles are checked offline');
  }
  if (!isJsonObject(material.publicKey)) return bad('verificationMaterial has no publicKey');
  if (doc.messageSignature !== undefined) bad('it holds a message signature, not a DSSE envelope (cosign signs images with DSSE)');
  const envelope = doc.dsseEnvelope;
  if (!isJsonObject(envelope)) return bad('dsseEnvelope is missing');
  if (typeof envelope.payload !== 'string' || !BASE64.test(envelope.payload)) return bad('the DSSE payload is not base64');
  if (typeof envelope.payloadType !== 'string') return bad('the DSSE payloadType is missing');
  if (!Array.isArray(envelope.signatures) || envelope.signatures.length !== 1) return bad('the DSSE envelope must hold exactly one signature');
  const entry: unknown = envelope.signatures[0];
  if (!isJsonObject(entry) || typeof entry.sig !== 'string' || entry.sig === '' || !BASE64.test(entry.sig)) return bad('the DSSE signature is not base64');
  if (envelope.payloadType !== MediaType.InToto) bad(`the DSSE payloadType is ${JSON.stringify(envelope.payloadType)}, not ${MediaType.InToto}`);
  const payload = new Uint8Array(Buffer.from(envelope.payload, 'base64'));
  const pae = dssePae(envelope.payloadType, payload);
  const signature = Buffer.from(entry.sig, 'base64');
  const keyIndex = keys.findIndex((key) => {
    try {
      return verify(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', pae, key, signature);
    } catch {
      return false;
    }
  });
  if (keyIndex < 0) {
    throw airsignError('COSIGN_SIGNATURE_INVALID', keys.length === 1
      ? 'the bundle\'s DSSE signature does not verify with the public key (another key signed it, or the statement was changed)'
      : `the bundle's DSSE signature does not verify with any of the ${keys.length} public keys`);
  }
  const list = (value: unknown) => (Array.isArray(value) ? value.length : 0);
  const timestamps = isJsonObject(material.timestampVerificationData) ? list(material.timestampVerificationData.rfc3161Timestamps) : 0;
  return { payload, payloadType: envelope.payloadType, keyIndex, tlogEntries: list(material.tlogEntries), timestamps };
}

