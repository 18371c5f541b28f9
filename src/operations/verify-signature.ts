/**
 * `verify-signature`: one signature file checked against one manifest, out of band, as
 * `skopeo standalone-verify` does — the format's integrity check gives facts (a good signature by a
 * key, over a payload), src/verify/ decides whether they meet the requirement (accepted signer,
 * manifest digest, identity).
 */
import { readFile } from 'node:fs/promises';
import { airsignError } from '../errors.js';
import { parsePublicKeysPem } from '../keys/public-key-pem.js';
import { parseKeyring } from '../formats/openpgp/keyring.js';
import { parseContainersPolicy } from '../verify/containers-policy.js';
import { parseDockerReference, type DockerReference } from '../formats/docker-reference.js';
import { referencesMatch, type ReferenceMatchRule } from '../verify/reference-match.js';
import { evaluateContainersPolicy, type PolicyRequirementResult } from '../verify/evaluate-containers-policy.js';
import { evaluateSimpleSigningSignature, type SimpleSigningFacts } from '../verify/evaluate-simple-signing.js';
import { cosignSignatureFacts, gpgSignatureFacts } from '../verify/simple-signing-facts.js';
import type { SignatureVerdict } from '../verify/verdict.js';
import { fsErrorText } from '../fs/fs-error-text.js';

/** What verifySignatureFile checks the signature against (open: callers may pass more). */
export interface VerifySignatureOptions {
  format: 'gpg' | 'cosign';
  /** The manifest file the signature must be over. */
  manifest: string;
  /** The image reference the signature must name. */
  identity: string;
  /** How the signed reference must match `identity` (default `equal`, as skopeo standalone-verify). */
  match?: ReferenceMatchRule;
  /** GPG: a keyring file (binary or armored). */
  keyring?: string;
  /** GPG: accepted primary key fingerprints (default: every key in the keyring). */
  fingerprints?: string[];
  /** cosign: PEM public key files; any one may have signed. */
  keys?: string[];
  /** A containers policy.json deciding instead of keyring/keys/match (signedBy, sigstoreSigned, signedIdentity). */
  policy?: string;
  /** Verification time (default now); for tests. */
  now?: Date;
}

export interface VerifySignatureReport extends Partial<SignatureVerdict> {
  identity: string;
  match?: ReferenceMatchRule;
  /** With --policy: the scope that applied and each requirement's outcome. */
  policy?: { path: string; scope: string; requirements: PolicyRequirementResult[] };
  /** The signed payload's facts, when it could be read. */
  signedReference?: string;
  signedDigest?: string;
  verified: boolean;
}

/**
 * Checks one GPG or cosign signature file against one manifest (as skopeo standalone-verify), or
 * under a containers policy.json. Resolves to the verdict report; throws AirsignError for unusable input.
 */
export async function verifySignatureFile(signature: string, options: VerifySignatureOptions): Promise<VerifySignatureReport> {
  const image = parseDockerReference(options.identity);
  if (options.policy !== undefined) return verifyWithPolicy(signature, options, options.policy, image);
  const match = options.match ?? 'equal';
  const manifest = await readInput(options.manifest, 'the manifest');
  const signatureBytes = await readInput(signature, 'the signature');
  let facts: SimpleSigningFacts;
  let acceptedSigners: string[] | undefined;
  if (options.format === 'gpg') {
    if (options.keyring === undefined || options.keys !== undefined) throw airsignError('USAGE', 'GPG signatures are checked with options.keyring <file> (not options.keys)', { details: { option: 'keyring' } });
    const keyring = parseKeyring(await readInput(options.keyring, 'the keyring'), options.keyring);
    acceptedSigners = options.fingerprints?.map(normaliseFingerprint) ?? keyring.map((k) => k.primary.fingerprint);
    facts = gpgSignatureFacts(signatureBytes, signature, keyring, options.now);
  } else {
    if (options.keys === undefined || options.keys.length === 0 || options.keyring !== undefined) throw airsignError('USAGE', 'cosign signatures are checked with options.keys <pub.pem> (not options.keyring)', { details: { option: 'keys' } });
    if (options.fingerprints !== undefined) throw airsignError('USAGE', 'options.fingerprints applies to GPG signatures only', { details: { option: 'fingerprints' } });
    const keys = (await Promise.all(options.keys.map(async (path) => parsePublicKeysPem(new TextDecoder().decode(await readInput(path, 'the public key')), path)))).flat();
    facts = cosignSignatureFacts(signatureBytes, signature, keys, keys.length === options.keys.length ? options.keys : []);
  }
  const verdict = evaluateSimpleSigningSignature(facts, {
    manifest,
    image,
    identity: { describe: `the ${match} rule`, matches: (signed) => referencesMatch(match, image, signed) },
    ...(acceptedSigners ? { acceptedSigners } : {}),
  });
  const { payload, ...rest } = verdict;
  return {
    ...rest,
    identity: image.text,
    match,
    ...(payload ? { signedReference: payload.dockerReference, signedDigest: payload.dockerManifestDigest } : {}),
    verified: verdict.verdict === 'valid',
  };
}

async function verifyWithPolicy(signaturePath: string, options: VerifySignatureOptions, policyPath: string, image: DockerReference): Promise<VerifySignatureReport> {
  for (const [given, name] of [[options.keyring, 'keyring'], [options.keys, 'keys'], [options.fingerprints, 'fingerprints'], [options.match, 'match']] as const) {
    if (given !== undefined) throw airsignError('USAGE', `options.${name} cannot be combined with options.policy (the policy names the keys and the identity rule)`, { details: { option: name } });
  }
  const policy = parseContainersPolicy(await readInput(policyPath, 'the policy'), policyPath);
  const manifest = await readInput(options.manifest, 'the manifest');
  const signature = { format: options.format, name: signaturePath, bytes: await readInput(signaturePath, 'the signature') };
  const result = await evaluateContainersPolicy(policy, image, manifest, [signature], options.now ? { now: options.now } : {});
  const first = result.signatures[0];
  return {
    ...(first ?? {}),
    identity: image.text,
    policy: { path: policyPath, scope: result.scope, requirements: result.requirements },
    verified: result.verified,
  };
}

function normaliseFingerprint(value: string): string {
  const hex = value.replace(/\s+/g, '').toUpperCase();
  if (!/^[0-9A-F]{40}$/.test(hex)) throw airsignError('USAGE', `options.fingerprints "${value}" is not a 40-digit OpenPGP v4 fingerprint`, { details: { option: 'fingerprints', value } });
  return hex;
}

async function readInput(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw airsignError('INPUT_NOT_FOUND', `cannot read ${what} ${path}: ${fsErrorText(e)}`, { cause: e, details: { path } });
  }
}
