/**
 * The requirement GPG and cosign signatures share (containers/image `verifyAndExtractSignature`):
 * given the facts a format's integrity check produced (a good signature, by whom, over which
 * payload), the signer must be accepted, the payload must be a simple-signing document of the
 * format's type, its docker-manifest-digest must be the manifest's digest, and its docker-reference
 * must match the image reference under the chosen rule.
 */
import { isAirsignError } from '../errors.js';
import { checkManifestDigest, COSIGN_SIGNATURE_TYPE, GPG_SIGNATURE_TYPE, parseSimpleSigningPayload, type SimpleSigningPayload } from '../formats/simple-signing/read-simple-signing-payload.js';
import { tryParseDockerReference, type DockerReference } from '../formats/docker-reference.js';
import { verdictFromChecks, type CheckOutcome, type SignatureVerdict } from './verdict.js';

export interface SimpleSigningFacts {
  format: 'gpg' | 'cosign';
  /** Where the signature came from (file name or manifest digest). */
  signature: string;
  /** Set when the signature verified: who signed (fingerprint or key name) and the signed payload. */
  verified?: { signer: string; payload: Uint8Array };
  /** Why the signature itself did not verify. */
  integrityFailure?: string;
}

export interface SimpleSigningRequirement {
  manifest: Uint8Array;
  /** The image reference; absent (with `identity`) when no identity is asked for (cosign checks the digest claim only). */
  image?: DockerReference;
  /** Whether a signed reference is acceptable for the image (a containers/image signedIdentity rule). */
  identity?: { describe: string; matches(signed: DockerReference): boolean };
  /** GPG: primary key fingerprints accepted (upper-case hex); undefined = any key of the keyring. */
  acceptedSigners?: string[];
}

export function evaluateSimpleSigningSignature(facts: SimpleSigningFacts, requirement: SimpleSigningRequirement): SignatureVerdict & { payload?: SimpleSigningPayload } {
  const checks: CheckOutcome[] = [];
  const base = { format: facts.format, signature: facts.signature };
  if (facts.verified === undefined) {
    checks.push({ check: 'integrity', result: 'failed', reason: facts.integrityFailure ?? 'the signature does not verify' });
    return verdictFromChecks({ ...base, checks });
  }
  const signer = facts.verified.signer;
  let payload: SimpleSigningPayload;
  try {
    payload = parseSimpleSigningPayload(facts.verified.payload, facts.format === 'gpg' ? GPG_SIGNATURE_TYPE : COSIGN_SIGNATURE_TYPE);
  } catch (e) {
    if (!isAirsignError(e)) throw e;
    checks.push({ check: 'integrity', result: 'failed', reason: e.message });
    return verdictFromChecks({ ...base, signer, checks });
  }
  checks.push({ check: 'integrity', result: 'passed' });
  const accepted = requirement.acceptedSigners;
  if (accepted !== undefined && !accepted.includes(signer.toUpperCase())) {
    checks.push({ check: 'authenticity', result: 'failed', reason: `the signature is by ${signer}, which is not one of the accepted fingerprints ${accepted.join(', ')}` });
  } else checks.push({ check: 'authenticity', result: 'passed' });
  try {
    checkManifestDigest(requirement.manifest, payload.dockerManifestDigest);
    checks.push({ check: 'digest', result: 'passed' });
  } catch (e) {
    if (!isAirsignError(e)) throw e;
    checks.push({ check: 'digest', result: 'failed', reason: e.message });
  }
  const signed = tryParseDockerReference(payload.dockerReference);
  if (requirement.identity === undefined || requirement.image === undefined) {
    checks.push({ check: 'identity', result: 'skipped', reason: `no identity asked for; the signature names "${payload.dockerReference}"` });
  } else if (signed === undefined) {
    checks.push({ check: 'identity', result: 'failed', reason: `the signed reference "${payload.dockerReference}" is not a valid image reference` });
  } else if (!requirement.identity.matches(signed)) {
    checks.push({ check: 'identity', result: 'failed', reason: `the signature is for "${signed.text}", which does not match "${requirement.image.text}" under ${requirement.identity.describe}` });
  } else checks.push({ check: 'identity', result: 'passed' });
  return { ...verdictFromChecks({ ...base, target: payload.dockerManifestDigest, signer, checks }), payload };
}
