/**
 * The requirement a cosign v3 bundle signature must meet (cosign's `IntotoSubjectClaimVerifier`
 * after the bundle's key check): the DSSE signature verifies with an accepted key (facts from
 * src/formats/cosign/verify-cosign-bundle.ts), the payload is an in-toto statement of cosign's
 * signing predicate type, and one of its subjects is the image's digest. The statement names no
 * image reference, so an identity cannot be matched (reported as not checked when one is asked).
 */
import type { KeyObject } from 'node:crypto';
import { isAirsignError } from '../errors.js';
import { verifyCosignBundle } from '../formats/cosign/verify-cosign-bundle.js';
import { COSIGN_SIGN_PREDICATE_TYPE } from '../formats/cosign/sigstore-bundle.js';
import { verdictFromChecks, type CheckOutcome, type SignatureVerdict } from './verdict.js';

const IN_TOTO_STATEMENT_TYPES = new Set(['https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1']);

export interface CosignBundleFacts {
  /** The referrer manifest's digest. */
  signature: string;
  /** Set when the bundle verified: the key's name and the statement bytes. */
  verified?: { signer: string; statement: Uint8Array; tlogEntries: number; timestamps: number };
  integrityFailure?: string;
}

/** Runs the bundle's integrity check; verification failures become facts, unusable input throws. */
export function cosignBundleFacts(bytes: Uint8Array, signature: string, keys: KeyObject[], keyNames: string[]): CosignBundleFacts {
  try {
    const verified = verifyCosignBundle(bytes, keys);
    return {
      signature,
      verified: {
        signer: keyNames[verified.keyIndex] ?? `public key ${verified.keyIndex + 1}`,
        statement: verified.payload,
        tlogEntries: verified.tlogEntries,
        timestamps: verified.timestamps,
      },
    };
  } catch (e) {
    if (!isAirsignError(e) || e.kind !== 'verification') throw e;
    return { signature, integrityFailure: e.message };
  }
}

export interface CosignBundleRequirement {
  /** The image manifest's digest, `alg:hex`. */
  targetDigest: string;
  /** The identity asked for (`--identity`); a bundle cannot be matched against it. */
  identity?: string;
}

export function evaluateCosignBundle(facts: CosignBundleFacts, requirement: CosignBundleRequirement): SignatureVerdict {
  const base = { format: 'cosign-bundle' as const, signature: facts.signature };
  const checks: CheckOutcome[] = [];
  if (facts.verified === undefined) {
    checks.push({ check: 'integrity', result: 'failed', reason: facts.integrityFailure ?? 'the bundle does not verify' });
    return verdictFromChecks({ ...base, checks });
  }
  const signer = facts.verified.signer;
  const statement = parseStatement(facts.verified.statement);
  if (typeof statement === 'string') {
    checks.push({ check: 'integrity', result: 'failed', reason: statement });
    return verdictFromChecks({ ...base, signer, checks });
  }
  checks.push({ check: 'integrity', result: 'passed' });
  checks.push({ check: 'authenticity', result: 'passed' });
  const [algorithm, hex] = requirement.targetDigest.split(':') as [string, string];
  const digests = statement.subjects.map((s) => s[algorithm]).filter((d): d is string => typeof d === 'string');
  // A digest value is whatever the statement's JSON holds: String() throws on {"toString":1}, JSON text does not.
  const first = statement.subjects.map((s) => Object.entries(s).map(([a, h]) => `${a}:${typeof h === 'string' ? h : JSON.stringify(h)}`)[0]).find((d) => d !== undefined);
  const target = digests.includes(hex) ? requirement.targetDigest : first;
  if (digests.includes(hex)) checks.push({ check: 'digest', result: 'passed' });
  else checks.push({ check: 'digest', result: 'failed', reason: `the bundle's statement is for ${first ?? 'no digest'}, not the image ${requirement.targetDigest}` });
  if (requirement.identity !== undefined) {
    checks.push({ check: 'identity', result: 'not-checked', reason: `a cosign bundle names no image reference (cosign ties it to the image by digest only), so it is not matched against ${requirement.identity}` });
  }
  if (facts.verified.tlogEntries + facts.verified.timestamps > 0) {
    checks.push({ check: 'transparencyLog', result: 'not-checked', reason: 'transparency-log entries and timestamps in the bundle are not checked offline' });
  }
  return verdictFromChecks({ ...base, ...(target === undefined ? {} : { target }), signer, checks });
}

/** The statement's subject digests, or why it is not a cosign signing statement. */
function parseStatement(bytes: Uint8Array): { subjects: Array<Record<string, unknown>> } | string {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return 'the bundle\'s payload is not a JSON in-toto statement';
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'the bundle\'s payload is not a JSON object';
  const value = doc as Record<string, unknown>;
  if (typeof value._type !== 'string' || !IN_TOTO_STATEMENT_TYPES.has(value._type)) return `the bundle's payload is not an in-toto statement (_type ${JSON.stringify(value._type)})`;
  if (value.predicateType !== COSIGN_SIGN_PREDICATE_TYPE) {
    return `the bundle's statement has predicate type ${JSON.stringify(value.predicateType)}, not ${COSIGN_SIGN_PREDICATE_TYPE}: it is an attestation, not a signature`;
  }
  if (!Array.isArray(value.subject) || value.subject.length === 0) return 'the bundle\'s statement has no subject';
  const subjects: Array<Record<string, unknown>> = [];
  for (const s of value.subject as unknown[]) {
    if (typeof s !== 'object' || s === null || typeof (s as Record<string, unknown>).digest !== 'object' || (s as Record<string, unknown>).digest === null) {
      return 'a subject of the bundle\'s statement has no digest';
    }
    subjects.push((s as { digest: Record<string, unknown> }).digest);
  }
  return { subjects };
}
