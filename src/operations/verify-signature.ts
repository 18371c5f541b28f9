/**
 * `verify-signature`: one signature file checked against one manifest, out of band, as
 * `skopeo standalone-verify` does — the format's integrity check gives facts (a good signature by a
 * key, over a payload), src/verify/ decides whether they meet the requirement (accepted signer,
 * manifest digest, identity).
 */
import { readFile } from 'node:fs/promises';
import { airsignError, isAirsignError } from '../errors.js';
import { parsePublicKeysPem, parseSigstoreAttachmentFile, verifyCosignAttachment } from '../formats/cosign/verify-sigstore-attachment.js';
import { parseKeyring } from '../formats/openpgp/keyring.js';
import { verifyOpenPgpMessage } from '../formats/openpgp/verify-message.js';
import { parseDockerReference, type ReferenceMatchRule } from '../verify/docker-reference.js';
import { evaluateSimpleSigningSignature, type SimpleSigningFacts } from '../verify/evaluate-simple-signing.js';
import type { SignatureVerdict } from '../verify/verdict.js';

export interface VerifySignatureOptions {
  format: 'gpg' | 'cosign';
  manifest: string;
  signature: string;
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
  /** Verification time (default now); for tests. */
  now?: Date;
}

export interface VerifySignatureReport extends SignatureVerdict {
  identity: string;
  match: ReferenceMatchRule;
  /** The signed payload's facts, when it could be read. */
  signedReference?: string;
  signedDigest?: string;
  verified: boolean;
}

export async function verifySignatureFile(options: VerifySignatureOptions): Promise<VerifySignatureReport> {
  const match = options.match ?? 'equal';
  const image = parseDockerReference(options.identity, '--identity');
  const manifest = await readInput(options.manifest, 'the manifest');
  const signatureBytes = await readInput(options.signature, 'the signature');
  let facts: SimpleSigningFacts;
  let acceptedSigners: string[] | undefined;
  if (options.format === 'gpg') {
    if (options.keyring === undefined || options.keys !== undefined) throw airsignError('USAGE', 'GPG signatures are checked with --keyring <file> (not --key)');
    const keyring = parseKeyring(await readInput(options.keyring, 'the keyring'), options.keyring);
    acceptedSigners = options.fingerprints?.map(normaliseFingerprint) ?? keyring.map((k) => k.primary.fingerprint);
    facts = gpgFacts(signatureBytes, options.signature, keyring, options.now);
  } else {
    if (options.keys === undefined || options.keys.length === 0 || options.keyring !== undefined) throw airsignError('USAGE', 'cosign signatures are checked with --key <pub.pem> (not --keyring)');
    if (options.fingerprints !== undefined) throw airsignError('USAGE', '--fingerprint applies to GPG signatures only');
    const keys = (await Promise.all(options.keys.map(async (path) => parsePublicKeysPem(new TextDecoder().decode(await readInput(path, 'the public key')), path)))).flat();
    facts = cosignFacts(signatureBytes, options.signature, keys, options.keys);
  }
  const verdict = evaluateSimpleSigningSignature(facts, { manifest, image, match, ...(acceptedSigners ? { acceptedSigners } : {}) });
  const { payload, ...rest } = verdict;
  return {
    ...rest,
    identity: image.text,
    match,
    ...(payload ? { signedReference: payload.dockerReference, signedDigest: payload.dockerManifestDigest } : {}),
    verified: verdict.verdict === 'valid',
  };
}

function gpgFacts(bytes: Uint8Array, name: string, keyring: ReturnType<typeof parseKeyring>, now: Date | undefined): SimpleSigningFacts {
  try {
    const message = verifyOpenPgpMessage(bytes, keyring, now ? { now } : {});
    return { format: 'gpg', signature: name, verified: { signer: message.primaryFingerprint, payload: message.content } };
  } catch (e) {
    if (!isAirsignError(e) || e.kind !== 'verification') throw e;
    return { format: 'gpg', signature: name, integrityFailure: e.message };
  }
}

function cosignFacts(bytes: Uint8Array, name: string, keys: ReturnType<typeof parsePublicKeysPem>, keyFiles: string[]): SimpleSigningFacts {
  try {
    const verified = verifyCosignAttachment(parseSigstoreAttachmentFile(bytes), keys);
    const signer = keys.length === keyFiles.length ? keyFiles[verified.keyIndex]! : `public key ${verified.keyIndex + 1}`;
    return { format: 'cosign', signature: name, verified: { signer, payload: verified.payload } };
  } catch (e) {
    if (!isAirsignError(e) || e.kind !== 'verification') throw e;
    return { format: 'cosign', signature: name, integrityFailure: e.message };
  }
}

function normaliseFingerprint(value: string): string {
  const hex = value.replace(/\s+/g, '').toUpperCase();
  if (!/^[0-9A-F]{40}$/.test(hex)) throw airsignError('USAGE', `--fingerprint "${value}" is not a 40-digit OpenPGP v4 fingerprint`);
  return hex;
}

async function readInput(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw airsignError('INPUT_NOT_FOUND', `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}

/** The human report for `verify-signature` without --json. */
export function formatVerifySignatureReport(report: VerifySignatureReport): string {
  const lines = [`${report.format} signature ${report.signature}: ${report.verdict.toUpperCase()}${report.signer ? ` (signed by ${report.signer})` : ''}`];
  if (report.signedReference !== undefined) lines.push(`  signed identity ${report.signedReference}, manifest ${report.signedDigest}`);
  lines.push(`  ${report.reason}`);
  return lines.join('\n');
}
