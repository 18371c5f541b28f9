/**
 * A cosign v0.3 bundle checked by @sigstore/verify's Verifier (a peer we did not write), offline:
 * the public key is the only trust material and the transparency-log, certificate-log and timestamp
 * thresholds are 0. In-process, so unit tests may use it.
 */
import { createPublicKey } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';

export interface VerifiedBundle {
  statement: { _type: string; subject: Array<{ digest: Record<string, string> }>; predicateType: string; predicate: unknown };
}

/** Verifies a v0.3 DSSE bundle with a public key PEM, offline; throws VerificationError on failure. */
export function verifyBundleWithSigstoreJs(bundleBytes: Uint8Array, publicKeyPem: string): VerifiedBundle {
  const json = JSON.parse(Buffer.from(bundleBytes).toString('utf8')) as Record<string, unknown>;
  const bundle = bundleFromJSON(json);
  const key = createPublicKey(publicKeyPem);
  const emptyRoot = { mediaType: '', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] };
  const trust = toTrustMaterial(emptyRoot, () => ({ publicKey: key, validFor: () => true }));
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  verifier.verify(toSignedEntity(bundle));
  const envelope = (json.dsseEnvelope as { payload: string });
  return { statement: JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as VerifiedBundle['statement'] };
}
