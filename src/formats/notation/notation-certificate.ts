/**
 * The facts about one X.509 certificate that Notation's chain rules look at, read from DER.
 * (Parsing only; the rules live in notation-chain.ts.)
 */
import { X509Certificate, createHash, type KeyObject } from 'node:crypto';
import { AirsignError } from '../../errors.js';
import { DerTag, derBitFlags, derBoolean, derChildren, derOid, derSmallInteger, derTime, expectTag, readDer, type DerNode } from './der-reader.js';

const OID_KEY_USAGE = '2.5.29.15';
const OID_EXT_KEY_USAGE = '2.5.29.37';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';

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
  let x509: X509Certificate;
  let fields: ReturnType<typeof readFields>;
  try {
    x509 = new X509Certificate(der);
    fields = readFields(der);
  } catch (e) {
    throw fail('NOTATION_CERT_MALFORMED', `${where} is not a valid DER X.509 certificate`, e);
  }
  const result: NotationCertificate = {
    der,
    subject: x509.subject.replaceAll('\n', ', '),
    rawSubject: fields.subject,
    rawIssuer: fields.issuer,
    spki: fields.spki,
    publicKey: x509.publicKey,
    notBefore: fields.notBefore,
    notAfter: fields.notAfter,
    signatureAlgorithm: fields.signatureAlgorithm,
    sha256: createHash('sha256').update(der).digest('hex'),
    x509,
  };
  try {
    for (const ext of fields.extensions) {
      const value = readDer(ext.value);
      if (ext.oid === OID_KEY_USAGE) {
        result.keyUsage = { flags: derBitFlags(value), critical: ext.critical };
      } else if (ext.oid === OID_EXT_KEY_USAGE) {
        result.extKeyUsage = derChildren(expectTag(value, DerTag.Sequence, 'extKeyUsage')).map(derOid);
      } else if (ext.oid === OID_BASIC_CONSTRAINTS) {
        const items = derChildren(expectTag(value, DerTag.Sequence, 'basicConstraints'));
        let i = 0;
        const ca = items[i]?.tag === DerTag.Boolean ? derBoolean(items[i++]!) : false;
        const pathLen = items[i]?.tag === DerTag.Integer ? derSmallInteger(items[i++]!) : undefined;
        result.basicConstraints = { ca, critical: ext.critical, ...(pathLen === undefined ? {} : { pathLen }) };
      }
    }
  } catch (e) {
    throw fail('NOTATION_CERT_MALFORMED', `${where} (${result.subject}) has a malformed extension`, e);
  }
  return result;
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue } (RFC 5280 §4.1). */
function readFields(der: Uint8Array) {
  const [tbs, signatureAlgorithm] = derChildren(expectTag(readDer(der), DerTag.Sequence, 'Certificate'));
  const t = derChildren(expectTag(tbs, DerTag.Sequence, 'tbsCertificate'));
  let i = t[0]?.tag === 0xa0 ? 1 : 0; // [0] version
  i += 2; // serialNumber, signature
  const issuer = expectTag(t[i++], DerTag.Sequence, 'issuer');
  const validity = derChildren(expectTag(t[i++], DerTag.Sequence, 'validity'));
  const subject = expectTag(t[i++], DerTag.Sequence, 'subject');
  const spki = expectTag(t[i++], DerTag.Sequence, 'subjectPublicKeyInfo');
  const extensions: { oid: string; critical: boolean; value: Uint8Array }[] = [];
  for (const node of t.slice(i)) {
    if (node.tag !== 0xa3) continue; // [1] issuerUniqueID, [2] subjectUniqueID
    for (const ext of derChildren(expectTag(derChildren(node)[0], DerTag.Sequence, 'extensions'))) {
      const parts: DerNode[] = derChildren(expectTag(ext, DerTag.Sequence, 'extension'));
      const critical = parts.length === 3 ? derBoolean(parts[1]!) : false;
      extensions.push({ oid: derOid(parts[0]!), critical, value: expectTag(parts[parts.length - 1], DerTag.OctetString, 'extnValue').content });
    }
  }
  return {
    issuer: issuer.raw,
    subject: subject.raw,
    spki: spki.raw,
    notBefore: derTime(validity[0]!),
    notAfter: derTime(validity[1]!),
    signatureAlgorithm: derOid(derChildren(expectTag(signatureAlgorithm, DerTag.Sequence, 'signatureAlgorithm'))[0]!),
    extensions,
  };
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
