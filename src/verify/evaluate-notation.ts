/**
 * Notation's verification steps (notation-go `verifier/verifier.go`, Notary Project trust-store and
 * trust-policy spec) over the facts the envelope check produced: integrity, authenticity (a chain
 * certificate byte-equal to one in the statement's trust stores, then the trusted identities),
 * expiry, authentic timestamp (RFC 3161 token against the `tsa` stores, or the chain valid now),
 * and revocation (from the CRLs the operator gave; see src/x509/crl.ts). Each check is enforced, logged or skipped as the statement
 * says; the verdict is invalid at the first enforced failure.
 */
import { X509Certificate } from 'node:crypto';
import type { PlainDescriptor } from '../descriptor.js';
import { isAirsignError } from '../errors.js';
import type { VerifiedNotationEnvelope } from '../formats/notation/verify-envelope.js';
import { notationAlgorithmByName } from '../formats/notation/notation-algorithm.js';
import { parseCertificate } from '../x509/certificate-info.js';
import { checkChainRevocation, type RevocationList } from '../x509/crl.js';
import { goSubjectString } from '../x509/go-subject-string.js';
import { isSubsetDn, parseNotationDn, type TrustPolicyStatement, type ValidationType } from './notation-trust-policy.js';
import type { NotationTrustStore } from './notation-trust-store.js';
import { verdictFromChecks, type CheckName, type CheckOutcome, type SignatureVerdict } from './verdict.js';

/** What the layout and the envelope check found for one Notation signature. */
export interface NotationSignatureFacts {
  /** Signature manifest digest. */
  signature: string;
  /** The verified envelope, or why the integrity check failed. */
  envelope?: VerifiedNotationEnvelope;
  integrityFailure?: string;
}

export interface NotationEvaluationOptions {
  /** The time of verification (default now). */
  now?: Date;
  /** CRLs the operator gave (verify --crl): the only revocation information offline. */
  crls?: readonly RevocationList[];
}

/** Evaluates one signature of `target` under `statement`. Throws only for unusable trust stores. */
export async function evaluateNotationSignature(
  facts: NotationSignatureFacts,
  target: PlainDescriptor,
  statement: TrustPolicyStatement,
  store: NotationTrustStore | undefined,
  options: NotationEvaluationOptions = {},
): Promise<SignatureVerdict> {
  const now = options.now ?? new Date();
  const envelope = facts.envelope;
  const base = { format: 'notation' as const, signature: facts.signature, ...(envelope ? { target: envelope.payload.targetArtifact.digest } : {}) };
  const signer = envelope ? subjectOf(envelope.chain[0]!) : undefined;
  if (statement.level === 'skip') {
    return {
      ...base,
      ...(signer ? { signer } : {}),
      verdict: 'skipped',
      reason: `trust policy statement "${statement.name}" skips signature verification`,
      checks: [],
      warnings: [],
    };
  }
  const checks: CheckOutcome[] = [];
  const outcome = (check: CheckName, validation: ValidationType, failure: string | undefined): void => {
    const action = statement.actions[validation];
    if (action === 'skip') checks.push({ check, result: 'skipped' });
    else if (failure === undefined) checks.push({ check, result: 'passed' });
    else checks.push({ check, result: action === 'enforce' ? 'failed' : 'logged', reason: failure });
  };
  const done = () => verdictFromChecks({ ...base, ...(signer ? { signer } : {}), checks });

  // 1. Integrity: never overridable; nothing else is meaningful without it.
  if (envelope === undefined) {
    checks.push({ check: 'integrity', result: 'failed', reason: facts.integrityFailure ?? 'the signature envelope is not valid' });
    return done();
  }
  const signed = envelope.payload.targetArtifact;
  if (signed.digest !== target.digest || signed.mediaType !== target.mediaType || signed.size !== target.size) {
    checks.push({
      check: 'integrity',
      result: 'failed',
      reason: `the signature is for ${signed.mediaType} ${signed.digest} (${signed.size} bytes), not for ${target.mediaType} ${target.digest} (${target.size} bytes)`,
    });
    return done();
  }
  checks.push({ check: 'integrity', result: 'passed' });

  // 2. Authenticity, then the trusted identities.
  const storeType = envelope.signingScheme === 'notary.x509.signingAuthority' ? 'signingAuthority' : 'ca';
  if (statement.actions.authenticity !== 'skip') {
    const stores = statement.trustStores.filter((s) => s.type === storeType);
    let authenticity: string | undefined;
    if (stores.length === 0 || store === undefined) {
      authenticity = `trust policy statement "${statement.name}" has no trust store of type "${storeType}" for signing scheme ${envelope.signingScheme}`;
    } else {
      const trusted = (await Promise.all(stores.map((s) => store.certificates(s.type, s.name)))).flat();
      const anchored = envelope.chain.some((der) => trusted.some((t) => bytesEqual(t.der, der)));
      if (!anchored) authenticity = 'the signature\'s certificate chain does not contain any trusted certificate';
    }
    outcome('authenticity', 'authenticity', authenticity);
    if (authenticity === undefined) outcome('trustedIdentity', 'authenticity', identityFailure(envelope.chain[0]!, statement));
  } else checks.push({ check: 'authenticity', result: 'skipped' });

  // 3. Expiry.
  outcome('expiry', 'expiry', envelope.expiry !== undefined && now >= envelope.expiry
    ? `digital signature has expired on ${envelope.expiry.toUTCString()}`
    : undefined);

  // 4. Authentic timestamp.
  if (statement.actions.authenticTimestamp !== 'skip') {
    outcome('authenticTimestamp', 'authenticTimestamp', await timestampFailure(envelope, statement, store, now));
  } else checks.push({ check: 'authenticTimestamp', result: 'skipped' });

  // 5. Revocation, from the CRLs given (OCSP cannot be asked offline).
  if (statement.actions.revocation === 'skip') checks.push({ check: 'revocation', result: 'skipped' });
  else outcome('revocation', 'revocation', revocationFailure(envelope, statement, options.crls ?? [], now));
  return done();
}

/**
 * notation-go's `verifyX509TrustedIdentities`: the leaf's subject as Go prints it, read back as a
 * trusted identity is read; a leaf Go prints with `=#` (emailAddress, UID, DC, ...), with an
 * attribute twice, or without C, ST or O matches no identity.
 */
function identityFailure(leafDer: Uint8Array, statement: TrustPolicyStatement): string | undefined {
  if (statement.trustedIdentities === '*') return undefined;
  const identities = statement.trustedIdentities.flatMap((i) => (i.subject === undefined ? [] : [i]));
  if (identities.length === 0) return `no x509 trusted identities are configured in the trust policy "${statement.name}"`;
  const printed = goSubjectString(parseCertificate(leafDer).subjectAttributes);
  let leaf;
  try {
    leaf = parseNotationDn(printed);
  } catch (e) {
    return `the signing certificate's subject cannot be matched to a trusted identity: ${(e as Error).message}`;
  }
  if (identities.some((identity) => isSubsetDn(identity.subject!, leaf))) return undefined;
  return `signing certificate from the digital signature does not match the X.509 trusted identities ${JSON.stringify(identities.map((i) => i.text))} defined in the trust policy "${statement.name}"`;
}

/** notation-go's `verifyRevocation` wording, and for "unknown" what the operator can do about it. */
function revocationFailure(envelope: VerifiedNotationEnvelope, statement: TrustPolicyStatement, crls: readonly RevocationList[], now: Date): string | undefined {
  const status = checkChainRevocation(envelope.chain, {
    crls,
    now,
    ...(envelope.signingScheme === 'notary.x509.signingAuthority' ? { signingTime: envelope.signingTime } : {}),
  });
  if (status.result === 'ok') return undefined;
  if (status.result === 'revoked') return `signing certificate with subject "${status.subject}" is revoked (${status.reason})`;
  return `signing certificate with subject "${status.subject}" revocation status is unknown: ${status.reason}; give the issuer's CRL with --crl <file|dir>, or set "override": {"revocation": "log"} (or "skip") in trust policy statement "${statement.name}"`;
}

async function timestampFailure(
  envelope: VerifiedNotationEnvelope,
  statement: TrustPolicyStatement,
  store: NotationTrustStore | undefined,
  now: Date,
): Promise<string | undefined> {
  const chain = envelope.chain.map((der) => new X509Certificate(der));
  const within = (at: Date, what: string): string | undefined => {
    for (const cert of chain) {
      const subject = cert.subject.replace(/\n/g, ', ');
      if (at < new Date(cert.validFrom)) return `certificate "${subject}" is not valid yet at ${what}, it will be valid from ${new Date(cert.validFrom).toUTCString()}`;
      if (at > new Date(cert.validTo)) return `certificate "${subject}" is not valid anymore, it was expired at ${new Date(cert.validTo).toUTCString()}`;
    }
    return undefined;
  };
  if (envelope.signingScheme === 'notary.x509.signingAuthority') return within(envelope.signingTime, 'the authentic signing time');
  const tsaStores = statement.trustStores.filter((s) => s.type === 'tsa');
  let needTimestamp = tsaStores.length > 0 && store !== undefined;
  if (needTimestamp && statement.verifyTimestamp === 'afterCertExpiry' && chain.every((c) => now <= new Date(c.validTo))) needTimestamp = false;
  if (!needTimestamp) return within(now, 'the time of verification');
  if (envelope.timestampToken === undefined) return 'no timestamp countersignature was found in the signature envelope';
  const roots = (await Promise.all(tsaStores.map((s) => store!.certificates(s.type, s.name)))).flat().map((c) => c.der);
  const hash = notationAlgorithmByName(envelope.algorithm)?.hash ?? 'sha256';
  // Loaded only here: the CMS/TSP parsers cost start-up time that most verifications do not need.
  // The same token checks `sign --tsa` applies (src/timestamp/time-stamp-token.ts).
  const { verifyTimeStampToken } = await import('../timestamp/time-stamp-token.js');
  let stamp;
  try {
    const verified = verifyTimeStampToken(envelope.timestampToken, { message: envelope.signature, hash, roots });
    stamp = {
      earliest: new Date(verified.genTime.getTime() - verified.accuracyMs),
      latest: new Date(verified.genTime.getTime() + verified.accuracyMs),
    };
  } catch (e) {
    if (!isAirsignError(e)) throw e;
    return `failed to verify the timestamp countersignature: ${e.message}`;
  }
  for (const cert of chain) {
    const subject = cert.subject.replace(/\n/g, ', ');
    if (stamp.earliest < new Date(cert.validFrom)) return `timestamp can be before certificate "${subject}" validity period, it will be valid from ${new Date(cert.validFrom).toUTCString()}`;
    if (stamp.latest > new Date(cert.validTo)) return `timestamp can be after certificate "${subject}" validity period, it was expired at ${new Date(cert.validTo).toUTCString()}`;
  }
  return undefined;
}

function subjectOf(der: Uint8Array): string | undefined {
  try {
    return parseCertificate(der).subject;
  } catch {
    return undefined;
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
