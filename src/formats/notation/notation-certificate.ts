/**
 * The facts about one X.509 certificate that Notation's chain rules look at. Parsing is done by
 * the shared certificate reader (src/x509/certificate-info.ts, on @peculiar/asn1-x509); this module
 * only adapts it to the rules' vocabulary and maps parse failures to the caller's error kind
 * (key error when signing, verification error when verifying). The rules live in notation-chain.ts.
 */
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import type { AirsignError, ErrorCode } from '../../errors.js';
import { KEY_USAGE_NAMES, parseCertificate, type CertificateInfo } from '../../x509/certificate-info.js';

export interface NotationCertificate {
  der: Uint8Array;
  /** One-line subject for messages. */
  subject: string;
  rawSubject: Uint8Array;
  rawIssuer: Uint8Array;
  spki: Uint8Array;
  publicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  /** Signature algorithm OID of the certificate's own signature. */
  signatureAlgorithm: string;
  /** Key usage bits (RFC 5280 bit n = 1 << n) and whether the extension is critical; undefined if absent. */
  keyUsage?: { flags: number; critical: boolean };
  /** Extended key usage OIDs; undefined if absent. */
  extKeyUsage?: string[];
  /** Basic constraints; undefined if absent. */
  basicConstraints?: { ca: boolean; pathLen?: number; critical: boolean };
  /** Lower-case hex SHA-256 of the DER. */
  sha256: string;
  /** Node's view, for signature checks. */
  x509: X509Certificate;
}

/** Parses DER; `fail` builds the error (key error when signing, verification error when verifying). */
export function parseNotationCertificate(
  der: Uint8Array,
  fail: (code: ErrorCode, message: string, cause?: unknown) => AirsignError,
  where = 'certificate',
): NotationCertificate {
  // Signing checks the same chain several times (each format's check, each envelope): parse once.
  const key = createHash('sha256').update(der).digest('hex');
  const cached = parsedCertificates.get(key);
  if (cached !== undefined) return cached;
  const result = parseUncached(der, fail, where);
  if (parsedCertificates.size >= PARSED_CACHE_SIZE) parsedCertificates.delete(parsedCertificates.keys().next().value!);
  parsedCertificates.set(key, result);
  return result;
}

/** Parsed certificates by SHA-256 of their DER (immutable: callers only read them). */
const parsedCertificates = new Map<string, NotationCertificate>();
const PARSED_CACHE_SIZE = 64;

function parseUncached(
  der: Uint8Array,
  fail: (code: ErrorCode, message: string, cause?: unknown) => AirsignError,
  where: string,
): NotationCertificate {
  let info: CertificateInfo;
  let x509: X509Certificate;
  try {
    info = parseCertificate(der);
    x509 = new X509Certificate(der);
  } catch (e) {
    throw fail('NOTATION_CERT_MALFORMED', `${where} is not a valid DER X.509 certificate`, e);
  }
  const result: NotationCertificate = {
    der,
    subject: info.subject,
    rawSubject: info.subjectDer,
    rawIssuer: info.issuerDer,
    spki: info.publicKeySpki,
    publicKey: x509.publicKey,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    signatureAlgorithm: info.signatureAlgorithm,
    sha256: info.sha256Thumbprint,
    x509,
  };
  if (info.keyUsage !== undefined) {
    const flags = info.keyUsage.usages.reduce((bits, name) => bits | (1 << KEY_USAGE_NAMES.indexOf(name)), 0);
    result.keyUsage = { flags, critical: info.keyUsage.critical };
  }
  if (info.extendedKeyUsage !== undefined) result.extKeyUsage = [...info.extendedKeyUsage.purposes];
  if (info.basicConstraints !== undefined) {
    const bc = info.basicConstraints;
    result.basicConstraints = { ca: bc.ca, critical: bc.critical, ...(bc.pathLength === undefined ? {} : { pathLen: bc.pathLength }) };
  }
  return Object.freeze(result);
}

