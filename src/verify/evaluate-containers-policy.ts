/**
 * Evaluates a containers policy.json for one image (containers/image `PolicyContext.IsRunningImageAllowed`):
 * every requirement of the scope that applies must hold; `signedBy` (GPG) and `sigstoreSigned`
 * (cosign, key-based, optionally with a Rekor bundle) hold when at least one signature meets them,
 * signer, manifest digest and signedIdentity rule included.
 */
import { readFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { airsignError, isAirsignError } from '../errors.js';
import { COSIGN_BUNDLE_ANNOTATION, COSIGN_SIGNATURE_ANNOTATION, type SigstoreAttachment } from '../formats/cosign/verify-sigstore-attachment.js';
import { parsePublicKeysPem } from '../keys/public-key-pem.js';
import { verifyRekorBundle } from '../formats/cosign/rekor-bundle.js';
import { parseKeyring, type KeyringKey } from '../formats/openpgp/keyring.js';
import { describeIdentityRule, identityMatches, requirementsFor, type ContainersPolicy, type PolicyRequirement } from './containers-policy.js';
import type { DockerReference } from '../formats/docker-reference.js';
import { evaluateSimpleSigningSignature, type SimpleSigningFacts } from './evaluate-simple-signing.js';
import { cosignSignatureFacts, gpgSignatureFacts } from './simple-signing-facts.js';
import type { SignatureVerdict } from './verdict.js';
import { fsErrorText } from '../fs/fs-error-text.js';

export interface PolicySignatureInput {
  format: 'gpg' | 'cosign';
  /** For messages and the report. */
  name: string;
  /** The signature file (GPG: the OpenPGP message; cosign: a `sigstore-json` file). */
  bytes: Uint8Array;
  /** cosign: the attachment already read (a `.sig` manifest layer); used instead of `bytes`. */
  attachment?: SigstoreAttachment;
  /** Set when the signature could not even be read (a blob missing or corrupt): it counts as invalid. */
  integrityFailure?: string;
}

export interface PolicyRequirementResult {
  type: PolicyRequirement['type'];
  satisfied: boolean;
  reason: string;
}

export interface ContainersPolicyResult {
  scope: string;
  requirements: PolicyRequirementResult[];
  signatures: SignatureVerdict[];
  verified: boolean;
}

export async function evaluateContainersPolicy(
  policy: ContainersPolicy,
  image: DockerReference,
  manifest: Uint8Array,
  signatures: PolicySignatureInput[],
  options: { now?: Date; searched?: { gpg?: string; cosign?: string } } = {},
): Promise<ContainersPolicyResult> {
  const { scope, requirements } = requirementsFor(policy, image);
  const result: ContainersPolicyResult = { scope, requirements: [], signatures: [], verified: false };
  for (const requirement of requirements) {
    switch (requirement.type) {
      case 'insecureAcceptAnything':
        result.requirements.push({ type: requirement.type, satisfied: true, reason: 'the policy accepts any image here (insecureAcceptAnything)' });
        break;
      case 'reject':
        result.requirements.push({ type: requirement.type, satisfied: false, reason: `the policy rejects every image in scope ${scope}` });
        break;
      case 'unimplemented':
        result.requirements.push({ type: requirement.type, satisfied: false, reason: `scope ${scope} requires ${requirement.what}: ${requirement.reason}, so no image in this scope can be accepted` });
        break;
      case 'signedBy':
      case 'sigstoreSigned': {
        const format = requirement.type === 'signedBy' ? 'gpg' : 'cosign';
        const own = signatures.filter((s) => s.format === format);
        if (own.length === 0) {
          result.requirements.push({ type: requirement.type, satisfied: false, reason: `a ${format === 'gpg' ? 'GPG' : 'cosign'} signature is required, but none was ${options.searched?.[format] === undefined ? 'given' : `found (${options.searched[format]})`}` });
          break;
        }
        const verdicts = requirement.type === 'signedBy'
          ? await signedBy(requirement, own, image, manifest, options.now)
          : await sigstoreSigned(requirement, own, image, manifest);
        result.signatures.push(...verdicts);
        const good = verdicts.find((v) => v.verdict === 'valid');
        result.requirements.push(good !== undefined
          ? { type: requirement.type, satisfied: true, reason: `signature ${good.signature} meets it (signer ${good.signer}, ${describeIdentityRule(requirement.signedIdentity)})` }
          : { type: requirement.type, satisfied: false, reason: verdicts.length === 1 ? verdicts[0]!.reason : `none of the ${verdicts.length} signatures meets it` });
        break;
      }
    }
  }
  result.verified = result.requirements.every((r) => r.satisfied);
  return result;
}

async function signedBy(
  requirement: Extract<PolicyRequirement, { type: 'signedBy' }>,
  signatures: PolicySignatureInput[],
  image: DockerReference,
  manifest: Uint8Array,
  now: Date | undefined,
): Promise<SignatureVerdict[]> {
  const keyring: KeyringKey[] = [];
  for (const path of requirement.keyPaths) keyring.push(...parseKeyring(await readKey(path), path));
  for (const data of requirement.keyData) keyring.push(...parseKeyring(data, 'the policy\'s keyData'));
  const acceptedSigners = keyring.map((k) => k.primary.fingerprint);
  return signatures.map((s) => evaluate(
    s.integrityFailure === undefined ? gpgSignatureFacts(s.bytes, s.name, keyring, now) : { format: 'gpg', signature: s.name, integrityFailure: s.integrityFailure },
    requirement, image, manifest, acceptedSigners));
}

async function sigstoreSigned(
  requirement: Extract<PolicyRequirement, { type: 'sigstoreSigned' }>,
  signatures: PolicySignatureInput[],
  image: DockerReference,
  manifest: Uint8Array,
): Promise<SignatureVerdict[]> {
  const keys: KeyObject[] = [];
  const names: string[] = [];
  for (const path of requirement.keyPaths) {
    for (const key of parsePublicKeysPem(new TextDecoder().decode(await readKey(path)), path)) {
      keys.push(key);
      names.push(path);
    }
  }
  for (const data of requirement.keyData) {
    for (const key of parsePublicKeysPem(new TextDecoder().decode(data), 'the policy\'s keyData')) {
      keys.push(key);
      names.push('keyData');
    }
  }
  const rekorKeys: KeyObject[] = [];
  for (const path of requirement.rekorPublicKeyPaths) rekorKeys.push(...parsePublicKeysPem(new TextDecoder().decode(await readKey(path)), path));
  for (const data of requirement.rekorPublicKeyData) rekorKeys.push(...parsePublicKeysPem(new TextDecoder().decode(data), 'the policy\'s rekorPublicKeyData'));
  return signatures.map((s) => {
    if (s.integrityFailure !== undefined) return evaluate({ format: 'cosign', signature: s.name, integrityFailure: s.integrityFailure }, requirement, image, manifest, undefined);
    let facts: SimpleSigningFacts = cosignSignatureFacts(s.attachment ?? s.bytes, s.name, keys, names);
    const { attachment, key } = facts as ReturnType<typeof cosignSignatureFacts>;
    if (facts.verified !== undefined && rekorKeys.length > 0 && attachment !== undefined && key !== undefined) {
      try {
        verifyRekorBundle(attachment.annotations[COSIGN_BUNDLE_ANNOTATION], rekorKeys, {
          payload: facts.verified.payload,
          signatureBase64: attachment.annotations[COSIGN_SIGNATURE_ANNOTATION]!,
          publicKey: key,
        });
      } catch (e) {
        if (!isAirsignError(e)) throw e;
        facts = { format: 'cosign', signature: s.name, integrityFailure: e.message };
      }
    }
    return evaluate(facts, requirement, image, manifest, undefined);
  });
}

function evaluate(
  facts: SimpleSigningFacts,
  requirement: Extract<PolicyRequirement, { type: 'signedBy' | 'sigstoreSigned' }>,
  image: DockerReference,
  manifest: Uint8Array,
  acceptedSigners: string[] | undefined,
): SignatureVerdict {
  const verdict: SignatureVerdict & { payload?: unknown } = evaluateSimpleSigningSignature(facts, {
    manifest,
    image,
    identity: { describe: `signedIdentity ${describeIdentityRule(requirement.signedIdentity)}`, matches: (signed) => identityMatches(requirement.signedIdentity, image, signed) },
    ...(acceptedSigners ? { acceptedSigners } : {}),
  });
  delete verdict.payload;
  return verdict;
}

async function readKey(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw airsignError('POLICY_INVALID', `the policy names key file ${path}, which cannot be read: ${fsErrorText(e)}`, { cause: e });
  }
}
