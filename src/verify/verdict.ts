/**
 * What verification reports, whatever the format: per signature the checks run and their outcome,
 * and one verdict with its reason. Formats produce facts (src/formats/…); src/verify/ turns facts
 * and the user's policy into these verdicts.
 */
/**
 * A signature format's id as the format registry names it (src/formats/registry.ts): the name
 * `sign --format` writes and `verify --format` requires (`notation` is a Notation signature with a
 * JWS envelope, `notation-cose` one with a COSE envelope, `cosign` the tag-based `.sig` form,
 * `cosign-bundle` the v3 Sigstore bundle referrer, `gpg` simple signing in a lookaside).
 */
export type SignatureFormatName = string;

export type CheckName =
  | 'integrity'
  | 'authenticity'
  | 'trustedIdentity'
  | 'authenticTimestamp'
  | 'expiry'
  | 'revocation'
  | 'digest'
  | 'identity'
  | 'transparencyLog';

/**
 * passed; failed (enforced, so the signature fails); logged (failed but the policy only logs it);
 * skipped (the policy skips it); not-checked (could not be checked offline).
 */
export type CheckResult = 'passed' | 'failed' | 'logged' | 'skipped' | 'not-checked';

export interface CheckOutcome {
  check: CheckName;
  result: CheckResult;
  reason?: string;
}

export type Verdict = 'valid' | 'invalid' | 'skipped';

export interface SignatureVerdict {
  format: SignatureFormatName;
  /** The signature manifest's digest (or file name out of band). */
  signature: string;
  /** The digest the signature says it signs, when it could be read. */
  target?: string;
  /** Who signed: a certificate subject, a key fingerprint. */
  signer?: string;
  verdict: Verdict;
  /** Why it is invalid (the first enforced failure), or a note for valid/skipped. */
  reason: string;
  checks: CheckOutcome[];
  /** Failures the policy only logs, and checks not made offline. */
  warnings: string[];
}

/** Builds a verdict from checks: invalid at the first failed check, else valid. */
export function verdictFromChecks(base: Omit<SignatureVerdict, 'verdict' | 'reason' | 'warnings'>): SignatureVerdict {
  const failed = base.checks.find((c) => c.result === 'failed');
  const warnings = base.checks.filter((c) => c.result === 'logged' || c.result === 'not-checked').map((c) => `${c.check}: ${c.reason ?? c.result}`);
  return {
    ...base,
    verdict: failed === undefined ? 'valid' : 'invalid',
    reason: failed === undefined ? 'all enforced checks passed' : `${failed.check}: ${failed.reason ?? 'failed'}`,
    warnings,
  };
}
