/**
 * The facts about one X.509 certificate that Notation's chain rules look at, read from DER.
 * (Parsing only; the rules live in notation-chain.ts.)
 */
import { X509Certificate, createHash, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  KeyUsage,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
} from '@peculiar/asn1-x509';
import { AirsignError } from '../../errors.js';

export interface NotationCertificate {
  der: Uint8Array;
  /** OpenSSL-style one-line subject for messages. */
  subject: string;
  rawSubject: Uint8Array;
  rawIssuer: Uint8Array;
  spki: Uint8Array;
  publicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  /** Signature algorithm OID of the certificate's own signature. */
  signatureAlgorithm: string;
  /** Key usage bits (KeyUsageFlags numbering) and whether the extension is critical; undefined if absent. */
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
  fail: (code: string, message: string, cause?: unknown) => AirsignError,
  where = 'certificate',
): NotationCertificate {
  let parsed: Certificate;
  let x509: X509Certificate;
  try {
    parsed = AsnConvert.parse(der, Certificate);
    x509 = new X509Certificate(der);
  } catch (e) {
    throw fail('NOTATION_CERT_MALFORMED', `${where} is not a valid DER X.509 certificate`, e);
  }
  const tbs = parsed.tbsCertificate;
  const result: NotationCertificate = {
    der,
    subject: x509.subject.replaceAll('\n', ', '),
    rawSubject: new Uint8Array(AsnConvert.serialize(tbs.subject)),
    rawIssuer: new Uint8Array(AsnConvert.serialize(tbs.issuer)),
    spki: new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo)),
    publicKey: x509.publicKey,
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    signatureAlgorithm: parsed.signatureAlgorithm.algorithm,
    sha256: createHash('sha256').update(der).digest('hex'),
    x509,
  };
  try {
    for (const ext of tbs.extensions ?? []) {
      const value = ext.extnValue.buffer;
      if (ext.extnID === id_ce_keyUsage) {
        result.keyUsage = { flags: AsnConvert.parse(value, KeyUsage).toNumber(), critical: ext.critical };
      } else if (ext.extnID === id_ce_extKeyUsage) {
        result.extKeyUsage = [...AsnConvert.parse(value, ExtendedKeyUsage)];
      } else if (ext.extnID === id_ce_basicConstraints) {
        const bc = AsnConvert.parse(value, BasicConstraints);
        result.basicConstraints = {
          ca: bc.cA,
          critical: ext.critical,
          ...(bc.pathLenConstraint === undefined ? {} : { pathLen: bc.pathLenConstraint }),
        };
      }
    }
  } catch (e) {
    throw fail('NOTATION_CERT_MALFORMED', `${where} (${result.subject}) has a malformed extension`, e);
  }
  return result;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
