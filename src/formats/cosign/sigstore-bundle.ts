/**
 * cosign v3's default signature ("new bundle format"): an in-toto v1 statement whose subject is the
 * signed digest (predicate type https://sigstore.dev/cosign/sign/v1, empty predicate), signed as a
 * DSSE envelope over PAE, in a Sigstore bundle v0.3 that names the key by `publicKey.hint`
 * (base64 of sha256 over the SPKI DER, as cosign computes it). Field order follows the protobuf
 * field numbers, as protojson writes them; no tlog entries or timestamps (offline, keyed).
 */
import { createHash } from 'node:crypto';
import { parseDigest } from '../../digest.js';
import { MediaType } from '../../media-types.js';

export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';
const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

/** The statement bytes: `_type`, `subject[{digest, annotations}]`, `predicateType`, `predicate`. */
export function cosignSignStatement(digest: string, annotations: Record<string, string>): Uint8Array {
  const { algorithm, hex } = parseDigest(digest);
  const sorted = Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const statement = {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [{ digest: { [algorithm]: hex }, annotations: sorted }],
    predicateType: COSIGN_SIGN_PREDICATE_TYPE,
    predicate: {},
  };
  return new TextEncoder().encode(JSON.stringify(statement));
}

/** DSSE pre-authentication encoding: `DSSEv1 <len> <type> <len> <body>` (lengths in bytes). */
export function dssePae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), Buffer.from(payload)]);
}

/** base64(sha256(SPKI DER)). */
export function publicKeyHint(spki: Uint8Array): string {
  return createHash('sha256').update(spki).digest('base64');
}

export function sigstoreBundleJson(options: { spki: Uint8Array; payload: Uint8Array; signature: Uint8Array }): Uint8Array {
  const bundle = {
    mediaType: MediaType.SigstoreBundleV03,
    verificationMaterial: { publicKey: { hint: publicKeyHint(options.spki) } },
    dsseEnvelope: {
      payload: Buffer.from(options.payload).toString('base64'),
      payloadType: MediaType.InToto,
      signatures: [{ sig: Buffer.from(options.signature).toString('base64') }],
    },
  };
  return new TextEncoder().encode(JSON.stringify(bundle));
}
