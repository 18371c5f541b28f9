/**
 * `verify`'s containers policy.json part: the requirements of the scope that applies to the
 * identity (containers/image IsRunningImageAllowed) judge the signatures of the formats the policy
 * knows (signedBy: GPG, sigstoreSigned: cosign `.sig`), found by those formats. Loaded by
 * operations/verify.ts only when a policy is given.
 */
import type { PlainDescriptor } from '../descriptor.js';
import { airsignError } from '../errors.js';
import type { DockerReference } from '../formats/docker-reference.js';
import { lookasideDirectory } from '../formats/gpg/lookaside.js';
import type { PolicyJudge } from '../formats/signature-verification.js';
import { requirementsFor, type ContainersPolicy } from '../verify/containers-policy.js';
import { evaluateContainersPolicy, type PolicySignatureInput } from '../verify/evaluate-containers-policy.js';
import { imageReference } from '../verify/reference-match.js';
import type { SignatureVerdict } from '../verify/verdict.js';
import type { VerifyOptions, VerifyRequirement } from './verify.js';

/** The format ids the policy's signature requirements judge, and how to read their signatures. */
export interface PolicyFormats {
  /** The format judged by each requirement type (signedBy → gpg, sigstoreSigned → cosign). */
  judged: Partial<Record<PolicyJudge, string>>;
  /** The signatures of the format judged by `judge`, as the evaluator reads them. */
  signatures(judge: PolicyJudge): Promise<PolicySignatureInput[]>;
}

/** Every requirement of the policy scope that applies to the identity, and the signatures' verdicts. */
export async function containersPolicyRequirements(
  policy: ContainersPolicy,
  options: Pick<VerifyOptions, 'lookaside' | 'policy' | 'now'>,
  identity: DockerReference,
  target: PlainDescriptor,
  manifest: Uint8Array,
  formats: PolicyFormats,
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
    signatures.push(...await formats.signatures('signedBy'));
  }
  signatures.push(...await formats.signatures('sigstoreSigned'));
  const searched = {
    gpg: `no signature-1 in ${options.lookaside === undefined ? 'the lookaside' : lookasideDirectory(options.lookaside, identity, target.digest)}`,
    cosign: `no ${target.digest.replace(':', '-')}.sig tag in the layout`,
  };
  const result = await evaluateContainersPolicy(policy, image, manifest, signatures, { searched, ...(options.now ? { now: options.now } : {}) });
  return {
    scope: result.scope,
    signatures: result.signatures,
    requirements: result.requirements.map((r) => ({
      format: r.type === 'signedBy' || r.type === 'sigstoreSigned' ? formats.judged[r.type] ?? r.type : 'containers-policy',
      satisfied: r.satisfied,
      reason: r.satisfied || r.type !== 'reject' ? r.reason : `${r.reason} (the identity used: ${image.text})`,
      policy: `${typeof options.policy === 'string' ? options.policy : 'policy.json'} scope ${result.scope}: ${r.type}`,
    })),
  };
}
