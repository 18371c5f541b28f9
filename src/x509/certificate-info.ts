/**
 * Reads the facts other modules check on an X.509 certificate (Notation's leaf and CA rules,
 * chain order, key matching) without trusting it: parsing is not verification.
 */
import { createHash, createPublicKey } from 'node:crypto';
import type * as X509 from '@peculiar/asn1-x509';
import type { KeyUsageType } from '@peculiar/asn1-x509';
import { airsignError } from '../errors.js';
import { asn1Schema, asn1X509 } from './asn1-packages.js';
import { derChildren } from './der-elements.js';
import { describeName, formatDistinguishedName } from './distinguished-name.js';
import type { DistinguishedName } from './distinguished-name.js';

const { AsnConvert } = asn1Schema;
const {
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  KeyUsage,
  KeyUsageFlags,
  Name,
  SubjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
} = asn1X509;
type Certificate = X509.Certificate;
type KeyUsage = X509.KeyUsage;
type Name = X509.Name;

export type KeyUsageName = KeyUsageType;

export const KEY_USAGE_NAMES: readonly KeyUsageName[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'crlSign',
  'encipherOnly',
  'decipherOnly',
];

/** Extended key usage OIDs by name (RFC 5280 4.2.1.12). */
export const EKU = {
  anyExtendedKeyUsage: '2.5.29.37.0',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
} as const;

export interface CertificateInfo {
  /** The certificate exactly as given. */
  der: Uint8Array;
  /** Lowercase hex SHA-256 of the DER (Notation's thumbprint / trust store fingerprint). */
  sha256Thumbprint: string;
  /** 1, 2 or 3. */
  version: number;
  /** Serial number as lowercase hex of its DER INTEGER content bytes. */
  serialNumberHex: string;
  /** Whether the serial number is > 0 (RFC 5280 requires it; Go >= 1.23, so notation and cosign, refuse others). */
  serialNumberPositive: boolean;
  /** "C=US, ST=WA, O=Acme, CN=release", certificate order. */
  subject: string;
  issuer: string;
  subjectAttributes: DistinguishedName;
  issuerAttributes: DistinguishedName;
  /** DER of the subject and issuer Names (compare these, not strings, for chain building). */
  subjectDer: Uint8Array;
  issuerDer: Uint8Array;
  /** subjectDer equals issuerDer. */
  selfIssued: boolean;
  notBefore: Date;
  notAfter: Date;
  /** SubjectPublicKeyInfo, DER. */
  publicKeySpki: Uint8Array;
  /** OID of the public key algorithm (1.2.840.10045.2.1 EC, 1.2.840.113549.1.1.1 RSA, 1.3.101.112 Ed25519). */
  publicKeyAlgorithm: string;
  /** OID of the signature algorithm in the outer Certificate. */
  signatureAlgorithm: string;
  /** keyUsage extension; undefined when absent. */
  keyUsage: { critical: boolean; usages: KeyUsageName[] } | undefined;
  /** extendedKeyUsage OIDs (see EKU); undefined when absent. */
  extendedKeyUsage: { critical: boolean; purposes: string[] } | undefined;
  /** basicConstraints; undefined when absent. */
  basicConstraints: { critical: boolean; ca: boolean; pathLength?: number } | undefined;
  /** Lowercase hex; undefined when absent. */
  subjectKeyIdentifier: string | undefined;
  authorityKeyIdentifier: string | undefined;
  /** All extension OIDs with criticality, in order. */
  extensions: Array<{ oid: string; critical: boolean }>;
  /** The signed part (DER) and the signature value, for verifying this certificate with its issuer's key. */
  tbsDer: Uint8Array;
  signatureValue: Uint8Array;
}

/** Parses a DER certificate. Throws input CERT_INVALID when it is not one. */
export function parseCertificate(der: Uint8Array): CertificateInfo {
  let cert: Certificate;
  try {
    derChildren(der); // exactly one element, no bytes after it, its content whole elements
    cert = AsnConvert.parse(der, Certificate);
  } catch (error) {
    throw airsignError('CERT_INVALID', `not a DER X.509 certificate: ${(error as Error).message}`, { cause: error });
  }
  const tbs = cert.tbsCertificate;
  if (cert.tbsCertificateRaw === undefined) throw airsignError('CERT_INVALID', 'certificate has no signed part');
  const raw = rawTbsFields(new Uint8Array(cert.tbsCertificateRaw));
  const subjectDer = raw.subject;
  const issuerDer = raw.issuer;
  const extensions = tbs.extensions ?? [];
  const find = (oid: string) => extensions.find((e) => e.extnID === oid);
  const decode = <T>(oid: string, type: new () => T): { critical: boolean; value: T } | undefined => {
    const ext = find(oid);
    if (ext === undefined) return undefined;
    try {
      return { critical: ext.critical, value: AsnConvert.parse(ext.extnValue, type) };
    } catch (error) {
      throw airsignError('CERT_INVALID', `certificate extension ${oid} is malformed`, { cause: error });
    }
  };

  const ku = decode(id_ce_keyUsage, KeyUsage);
  const eku = decode(id_ce_extKeyUsage, ExtendedKeyUsage);
  const bc = decode(id_ce_basicConstraints, BasicConstraints);
  const ski = decode(id_ce_subjectKeyIdentifier, SubjectKeyIdentifier);
  const aki = decode(id_ce_authorityKeyIdentifier, AuthorityKeyIdentifier);

  return {
    der,
    sha256Thumbprint: createHash('sha256').update(der).digest('hex'),
    version: tbs.version + 1,
    serialNumberHex: Buffer.from(tbs.serialNumber).toString('hex'),
    serialNumberPositive: isPositiveInteger(new Uint8Array(tbs.serialNumber)),
    subject: formatDistinguishedName(tbs.subject),
    issuer: formatDistinguishedName(tbs.issuer),
    subjectAttributes: describeName(tbs.subject),
    issuerAttributes: describeName(tbs.issuer),
    subjectDer,
    issuerDer,
    selfIssued: Buffer.compare(subjectDer, issuerDer) === 0,
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    publicKeySpki: raw.subjectPublicKeyInfo,
    publicKeyAlgorithm: tbs.subjectPublicKeyInfo.algorithm.algorithm,
    signatureAlgorithm: cert.signatureAlgorithm.algorithm,
    keyUsage: ku === undefined ? undefined : { critical: ku.critical, usages: keyUsageNames(ku.value) },
    extendedKeyUsage: eku === undefined ? undefined : { critical: eku.critical, purposes: Array.from(eku.value) },
    basicConstraints:
      bc === undefined
        ? undefined
        : {
            critical: bc.critical,
            ca: bc.value.cA,
            ...(bc.value.pathLenConstraint === undefined ? {} : { pathLength: bc.value.pathLenConstraint }),
          },
    subjectKeyIdentifier: ski === undefined ? undefined : Buffer.from(ski.value.buffer).toString('hex'),
    authorityKeyIdentifier:
      aki?.value.keyIdentifier === undefined ? undefined : Buffer.from(aki.value.keyIdentifier.buffer).toString('hex'),
    extensions: Array.from(extensions, (e) => ({ oid: e.extnID, critical: e.critical })),
    tbsDer: new Uint8Array(cert.tbsCertificateRaw),
    signatureValue: new Uint8Array(cert.signatureValue),
  };
}

/**
 * The issuer, subject and SubjectPublicKeyInfo of a TBSCertificate exactly as encoded (copies):
 * what the issuer signed and what Go compares (RawIssuer, RawSubject, RawSubjectPublicKeyInfo);
 * a re-encoding of the parsed values could differ from them.
 */
function rawTbsFields(tbsDer: Uint8Array): { issuer: Uint8Array; subject: Uint8Array; subjectPublicKeyInfo: Uint8Array } {
  let fields: Uint8Array[];
  try {
    fields = derChildren(tbsDer);
  } catch (error) {
    throw airsignError('CERT_INVALID', `certificate's signed part is malformed: ${(error as Error).message}`, { cause: error });
  }
  // version [0] EXPLICIT is optional (absent in v1): serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo follow.
  const first = fields[0]?.[0] === 0xa0 ? 1 : 0;
  const [issuer, , subject, subjectPublicKeyInfo] = fields.slice(first + 2, first + 6);
  if (subjectPublicKeyInfo === undefined || issuer === undefined || subject === undefined) {
    throw airsignError('CERT_INVALID', "certificate's signed part lacks a subject or a public key");
  }
  return { issuer: issuer.slice(), subject: subject.slice(), subjectPublicKeyInfo: subjectPublicKeyInfo.slice() };
}

function keyUsageNames(ku: KeyUsage): KeyUsageName[] {
  const bits = ku.toNumber();
  return KEY_USAGE_NAMES.filter((name) => (bits & KeyUsageFlags[name === 'crlSign' ? 'cRLSign' : name]) !== 0);
}

/** True when two DER SubjectPublicKeyInfos hold the same key (false when either does not parse). */
export function samePublicKey(a: Uint8Array, b: Uint8Array): boolean {
  try {
    return createPublicKey({ key: Buffer.from(a), format: 'der', type: 'spki' }).equals(createPublicKey({ key: Buffer.from(b), format: 'der', type: 'spki' }));
  } catch {
    return false;
  }
}

/** Re-exported for callers that compare Names. */
export { Name };

/** A DER INTEGER's content bytes (two's complement, big-endian) hold a number > 0. */
function isPositiveInteger(content: Uint8Array): boolean {
  return content.length > 0 && (content[0]! & 0x80) === 0 && content.some((b) => b !== 0);
}
