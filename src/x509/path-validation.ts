/**
 * Certificate path validation shared by everything that must tie a certificate to a root the user
 * trusts: RFC 3161 time-stamp tokens (to a TSA root), and the verify side's Notation chains and
 * cosign certificates. It builds the path leaf → root from the leaf, untrusted intermediates and
 * the trusted roots, and checks what Go's crypto/x509 (notation, cosign) checks on the way: each
 * certificate signed by the next, every certificate valid at the given time, issuers are CAs with
 * keyCertSign and a path length that allows the path, no MD5/SHA-1 certificate signatures, serial
 * numbers > 0. Purpose (EKU) rules differ per use and are the caller's.
 *
 * It returns a result rather than throwing, so each caller reports a failure under its own code
 * and kind (a TSA problem when signing, a verification failure when verifying).
 */
import { X509Certificate } from 'node:crypto';
import { parseCertificate, type CertificateInfo } from './certificate-info.js';
import { weakCertificateSignature } from './signature-algorithm.js';

/** Why a path was refused; stable names for `details.rule`. */
export type PathRule =
  | 'CERT_MALFORMED'
  | 'NO_PATH_TO_ROOT'
  | 'CERT_NOT_VALID'
  | 'ISSUER_NOT_CA'
  | 'PATH_TOO_LONG'
  | 'WEAK_SIGNATURE';

export interface PathValidationInput {
  /** The end-entity certificate, DER. */
  leaf: Uint8Array;
  /** Certificates that may complete the path but are not trusted by themselves (DER, any order). */
  intermediates?: readonly Uint8Array[];
  /** Trust anchors, DER: the path ends at one of them (the leaf itself may be one). */
  roots: readonly Uint8Array[];
  /** Every certificate on the path must be valid at this time. */
  at: Date;
  /** Longest accepted path, root included (default 10). */
  maxLength?: number;
}

export interface ValidatedPath {
  ok: true;
  /** DER, leaf first, root last. */
  path: Uint8Array[];
  /** The same certificates, parsed. */
  certificates: CertificateInfo[];
}

export interface RefusedPath {
  ok: false;
  rule: PathRule;
  /** One line, naming the certificate by subject. */
  message: string;
}

interface Candidate {
  der: Uint8Array;
  info: CertificateInfo;
  x509: X509Certificate;
  trusted: boolean;
}

/** Builds and checks the path from `input.leaf` to one of `input.roots`. */
export function validateCertificatePath(input: PathValidationInput): ValidatedPath | RefusedPath {
  const maxLength = input.maxLength ?? 10;
  let leaf: Candidate;
  const pool: Candidate[] = [];
  try {
    leaf = candidate(input.leaf, false);
    for (const der of input.roots) pool.push(candidate(der, true));
    for (const der of input.intermediates ?? []) pool.push(candidate(der, false));
  } catch (e) {
    return refuse('CERT_MALFORMED', `a certificate does not parse (${(e as Error).message})`);
  }
  const path: Candidate[] = [leaf];
  let current = leaf;
  while (!isRoot(current, pool)) {
    if (path.length >= maxLength) return refuse('PATH_TOO_LONG', `the certificate path from "${leaf.info.subject}" is longer than ${maxLength}`);
    // Trusted issuers first, then intermediates; each certificate at most once.
    const issuer = [...pool.filter((c) => c.trusted), ...pool.filter((c) => !c.trusted)]
      .find((c) => !path.includes(c) && issued(current, c));
    if (issuer === undefined) {
      return refuse('NO_PATH_TO_ROOT', path.length === 1
        ? `"${leaf.info.subject}" is not issued by a trusted root (issuer "${leaf.info.issuer}")`
        : `"${current.info.subject}" (issuer of "${leaf.info.subject}") is not issued by a trusted root`);
    }
    path.push(issuer);
    current = issuer;
  }
  for (const [i, cert] of path.entries()) {
    const { info } = cert;
    if (!info.serialNumberPositive) return refuse('CERT_MALFORMED', `"${info.subject}" has a negative or zero serial number`);
    if (input.at < info.notBefore || input.at > info.notAfter) {
      return refuse('CERT_NOT_VALID', `"${info.subject}" is not valid at ${input.at.toISOString()} (valid ${info.notBefore.toISOString()} to ${info.notAfter.toISOString()})`);
    }
    // The last certificate is a root, trusted by its bytes, not by its own signature.
    const weak = i < path.length - 1 ? weakCertificateSignature(info.signatureAlgorithm) : undefined;
    if (weak !== undefined) return refuse('WEAK_SIGNATURE', `"${info.subject}" is signed with ${weak}`);
    if (i > 0) {
      const bc = info.basicConstraints;
      if (bc === undefined || !bc.ca) return refuse('ISSUER_NOT_CA', `issuing certificate "${info.subject}" is not a CA (basicConstraints cA must be true)`);
      if (info.keyUsage !== undefined && !info.keyUsage.usages.includes('keyCertSign')) {
        return refuse('ISSUER_NOT_CA', `issuing certificate "${info.subject}" lacks the keyCertSign key usage`);
      }
      const below = i - 1; // intermediates between this issuer and the leaf
      if (bc.pathLength !== undefined && bc.pathLength < below) {
        return refuse('ISSUER_NOT_CA', `issuing certificate "${info.subject}" allows a path length of ${bc.pathLength}, the path needs ${below}`);
      }
    }
  }
  return { ok: true, path: path.map((c) => c.der), certificates: path.map((c) => c.info) };
}

function candidate(der: Uint8Array, trusted: boolean): Candidate {
  return { der, info: parseCertificate(der), x509: new X509Certificate(der), trusted };
}

function isRoot(cert: Candidate, pool: readonly Candidate[]): boolean {
  return cert.trusted || pool.some((c) => c.trusted && bytesEqual(c.der, cert.der));
}

function issued(child: Candidate, issuer: Candidate): boolean {
  if (!bytesEqual(child.info.issuerDer, issuer.info.subjectDer)) return false;
  try {
    return child.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

function refuse(rule: PathRule, message: string): RefusedPath {
  return { ok: false, rule, message };
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
