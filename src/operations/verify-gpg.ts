/**
 * `verify`'s GPG part, and the containers policy.json that judges GPG and cosign `.sig` signatures:
 * reads the lookaside's `signature-N` files of the target, runs the simple-signing integrity check
 * for facts, and lets src/verify/ turn them into verdicts. Loaded by operations/verify.ts only when
 * GPG material or a policy is given, so a Notation-only verify does not load the OpenPGP code.
 */
import type { PlainDescriptor } from '../descriptor.js';
import { airsignError } from '../errors.js';
import { parseDockerReference, type DockerReference } from '../formats/docker-reference.js';
import { lookasideDirectory, readLookasideSignatures } from '../formats/gpg/lookaside.js';
import type { KeyringKey } from '../formats/openpgp/keyring.js';
import { requirementsFor, type ContainersPolicy } from '../verify/containers-policy.js';
import { evaluateContainersPolicy, type PolicySignatureInput } from '../verify/evaluate-containers-policy.js';
import { evaluateSimpleSigningSignature } from '../verify/evaluate-simple-signing.js';
import { referencesMatch } from '../verify/reference-match.js';
import { gpgSignatureFacts } from '../verify/simple-signing-facts.js';
import type { SignatureVerdict } from '../verify/verdict.js';
import type { CosignSigLayerRead } from './verify-cosign.js';
import type { VerifyOptions, VerifyRequirement } from './verify.js';

/**
 * The image reference signatures are matched against: the identity, or, when it names neither tag
 * nor digest, the repository at the image digest (so matchRepoDigestOrExact asks for the repository).
 */
function imageReference(identity: DockerReference, target: PlainDescriptor): DockerReference {
  return identity.tag !== undefined || identity.digest !== undefined ? identity : parseDockerReference(`${identity.name}@${target.digest}`);
}

/** A verdict per lookaside signature of `target` as `identity`, any key of `keyring` accepted. */
export async function gpgVerdicts(
  lookaside: string,
  keyring: KeyringKey[],
  identity: DockerReference,
  target: PlainDescriptor,
  manifest: Uint8Array,
  now: Date | undefined,
): Promise<SignatureVerdict[]> {
  const image = imageReference(identity, target);
  const files = await readLookasideSignatures(lookaside, identity, target.digest);
  const accepted = keyring.map((k) => k.primary.fingerprint);
  return files.map((file) => {
    const verdict: SignatureVerdict & { payload?: unknown } = evaluateSimpleSigningSignature(gpgSignatureFacts(file.bytes, file.path, keyring, now), {
      manifest,
      image,
      identity: { describe: 'matchRepoDigestOrExact', matches: (signed) => referencesMatch('matchRepoDigestOrExact', image, signed) },
      acceptedSigners: accepted,
    });
    delete verdict.payload;
    return verdict;
  });
}

/** Every requirement of the policy scope that applies to the identity (containers/image IsRunningImageAllowed), and the signatures' verdicts. */
export async function containersPolicyRequirements(
  policy: ContainersPolicy,
  options: Pick<VerifyOptions, 'lookaside' | 'policy' | 'now'>,
  identity: DockerReference,
  target: PlainDescriptor,
  manifest: Uint8Array,
  sigLayers: CosignSigLayerRead[],
): Promise<{ scope: string; signatures: SignatureVerdict[]; requirements: VerifyRequirement[] }> {
  const image = imageReference(identity, target);
  const { requirements } = requirementsFor(policy, image);
  const signatures: PolicySignatureInput[] = [];
  if (requirements.some((r) => r.type === 'signedBy')) {
    if (options.lookaside === undefined) {
      throw airsignError('VERIFY_NEEDS_LOOKASIDE', `the policy requires GPG signatures (signedBy) for ${image.text}: give options.lookaside <dir> where they are stored`, {
        details: { missing: ['lookaside'] },
      });
    }
    for (const file of await readLookasideSignatures(options.lookaside, identity, target.digest)) signatures.push({ format: 'gpg', name: file.path, bytes: file.bytes });
  }
  for (const layer of sigLayers) {
    signatures.push({
      format: 'cosign',
      name: layer.name,
      bytes: new Uint8Array(),
      ...(layer.attachment === undefined ? { integrityFailure: layer.integrityFailure ?? 'unreadable' } : { attachment: layer.attachment }),
    });
  }
  const searched = {
    gpg: `no signature-1 in ${options.lookaside === undefined ? 'the lookaside' : lookasideDirectory(options.lookaside, identity, target.digest)}`,
    cosign: `no ${target.digest.replace(':', '-')}.sig tag in the layout`,
  };
  const result = await evaluateContainersPolicy(policy, image, manifest, signatures, { searched, ...(options.now ? { now: options.now } : {}) });
  return {
    scope: result.scope,
    signatures: result.signatures,
    requirements: result.requirements.map((r) => ({
      format: r.type === 'signedBy' ? 'gpg' : r.type === 'sigstoreSigned' ? 'cosign' : 'containers-policy',
      satisfied: r.satisfied,
      reason: r.satisfied || r.type !== 'reject' ? r.reason : `${r.reason} (the identity used: ${image.text})`,
      policy: `${typeof options.policy === 'string' ? options.policy : 'policy.json'} scope ${result.scope}: ${r.type}`,
    })),
  };
}
