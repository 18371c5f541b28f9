/**
 * The facts about one X.509 certificate that Notation's chain rules look at. Parsing is done by
 * the shared certificate reader (src/x509/certificate-info.ts, on @peculiar/asn1-x509); this module
 * only adapts it to the rules' vocabulary and maps parse failures to the caller's error kind
 * (key error when signing, verification error when verifying). The rules live in notation-chain.ts.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
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
  let info: CertificateInfo;
  let x509: X509Certificate;
  let publicKey: X509Certificate['publicKey'];
  try {
    info = parseCertificate(der);
    x509 = new X509Certificate(der);
    // Node decodes the key lazily: a corrupt SubjectPublicKeyInfo throws here, not in the constructor.
    publicKey = x509.publicKey;
  } catch (e) {
    throw fail('NOTATION_CERT_MALFORMED', `${where} is not a valid DER X.509 certificate`, e);
  }
  if (!info.serialNumberPositive) {
    throw fail('NOTATION_CERT_MALFORMED', `${where} ("${info.subject}") has a negative or zero serial number, which Go 1.23 and later (notation) refuse to parse`);
  }
  const result: NotationCertificate = {
    der,
    subject: info.subject,
    rawSubject: info.subjectDer,
    rawIssuer: info.issuerDer,
    spki: info.publicKeySpki,
    publicKey,
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

