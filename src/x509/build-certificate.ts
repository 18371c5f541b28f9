/**
 * Builds and signs X.509 v3 certificates through a KeyBackend. The ASN.1 structures come from
 * @peculiar/asn1-x509; we only choose their contents and sign the DER of the TBSCertificate.
 *
 * Two profiles:
 * - code signing (default), valid for Notation leaves: critical keyUsage digitalSignature only,
 *   EKU codeSigning, critical basicConstraints CA:FALSE, SKI, and AKI when issued by a CA;
 * - CA (`ca: true`): critical basicConstraints CA:TRUE, critical keyUsage keyCertSign + cRLSign,
 *   SKI, AKI when issued.
 */
import { createHash, randomBytes } from 'node:crypto';
import type * as X509 from '@peculiar/asn1-x509';
import { airsignError } from '../errors.js';
import type { KeyBackend } from '../key-backend.js';
import { EKU, parseCertificate, samePublicKey } from './certificate-info.js';
import type { CertificateInfo } from './certificate-info.js';
import { verifyCertificateSignature } from './certificate-signature.js';
import { parseDistinguishedName } from './distinguished-name.js';
import { algorithmIdentifier, x509SignatureAlgorithm } from './signature-algorithm.js';
import { asn1Schema, asn1X509 } from './asn1-packages.js';

const { AsnConvert, OctetString } = asn1Schema;
const {
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
} = asn1X509;
type Extension = X509.Extension;
type Name = X509.Name;
type SubjectPublicKeyInfo = X509.SubjectPublicKeyInfo;

export interface CertificateIssuer {
  key: KeyBackend;
  /** The issuer's certificate, DER. Its public key must be `key`'s. */
  certificate: Uint8Array;
}

export interface BuildCertificateOptions {
  /** The key the certificate is for (only its public key is used unless self-signed). */
  subjectKey: KeyBackend;
  /** "C=US,ST=WA,O=Acme,CN=release" (see distinguished-name.ts for order and escapes). */
  subject: string;
  /** Omit for a self-signed certificate (signed by subjectKey). */
  issuer?: CertificateIssuer;
  /** Validity in days from now; default 365. */
  days?: number;
  /** Make a CA certificate instead of a code-signing leaf. */
  ca?: boolean;
  /** basicConstraints pathLenConstraint for CA certificates. */
  pathLength?: number;
  /** Defaults to the current time; notBefore is one minute earlier (clock skew). */
  now?: Date;
}

const DEFAULT_VALIDITY_DAYS = 365;
const MAX_VALIDITY_DAYS = 36500;

/** Builds and signs a certificate; returns its DER. Checks the result with node:crypto before returning. */
export async function buildCertificate(options: BuildCertificateOptions): Promise<Uint8Array> {
  const days = options.days ?? DEFAULT_VALIDITY_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_VALIDITY_DAYS) {
    throw airsignError('CERT_DAYS_INVALID', `options.days must be a whole number from 1 to ${MAX_VALIDITY_DAYS}, got ${days}`, { details: { option: 'days', value: String(days) } });
  }
  const subjectName = parseDistinguishedName(options.subject);
  const subjectSpkiDer = await options.subjectKey.publicKeySpki();
  const subjectSpki = AsnConvert.parse(subjectSpkiDer, SubjectPublicKeyInfo);

  const signer = options.issuer?.key ?? options.subjectKey;
  let issuerName: Name = subjectName;
  let issuerSpkiDer = subjectSpkiDer;
  let authorityKeyId: Uint8Array | undefined;
  if (options.issuer !== undefined) {
    const issuerInfo = checkIssuer(options.issuer.certificate, await options.issuer.key.publicKeySpki(), options.issuer.key.description);
    issuerName = AsnConvert.parse(issuerInfo.subjectDer, Name);
    issuerSpkiDer = issuerInfo.publicKeySpki;
    authorityKeyId =
      issuerInfo.subjectKeyIdentifier === undefined
        ? keyIdentifier(AsnConvert.parse(issuerSpkiDer, SubjectPublicKeyInfo))
        : Uint8Array.from(Buffer.from(issuerInfo.subjectKeyIdentifier, 'hex'));
  }

  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime() + days * 86_400_000);

  const extensions = new Extensions([
    extension(
      id_ce_basicConstraints,
      true,
      new BasicConstraints(
        options.ca === true
          ? { cA: true, ...(options.pathLength === undefined ? {} : { pathLenConstraint: options.pathLength }) }
          : { cA: false },
      ),
    ),
    extension(
      id_ce_keyUsage,
      true,
      new KeyUsage(options.ca === true ? KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign : KeyUsageFlags.digitalSignature),
    ),
    ...(options.ca === true ? [] : [extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage([EKU.codeSigning]))]),
    extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifier(subjectSpki))),
    ...(authorityKeyId === undefined
      ? []
      : [extension(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(authorityKeyId) }))]),
  ]);

  const algorithm = x509SignatureAlgorithm(signer.keyType);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: randomSerial(),
    signature: algorithmIdentifier(algorithm),
    issuer: issuerName,
    validity: new Validity({ notBefore, notAfter }),
    subject: subjectName,
    subjectPublicKeyInfo: subjectSpki,
    extensions,
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = await signer.sign(tbsDer, algorithm.scheme);
  const certificate = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: algorithmIdentifier(algorithm),
    signatureValue: toArrayBuffer(signature),
  });
  const der = new Uint8Array(AsnConvert.serialize(certificate));

  // Never hand out a certificate whose signature does not check (wrong key behind a URI, a
  // backend bug): verify it with an implementation we did not write.
  if (!verifyCertificateSignature(der, issuerSpkiDer)) {
    throw airsignError('CERT_SIGNATURE_INVALID', `the signature made with ${signer.description} does not verify with its public key`);
  }
  return der;
}

/** Parses the issuer certificate and checks it may issue and belongs to the issuer key. */
function checkIssuer(certificateDer: Uint8Array, issuerKeySpki: Uint8Array, keyDescription: string): CertificateInfo {
  const info = parseCertificate(certificateDer);
  if (!samePublicKey(info.publicKeySpki, issuerKeySpki)) {
    throw airsignError(
      'CERT_ISSUER_KEY_MISMATCH',
      `the issuer certificate (${info.subject}) is not for the issuer key ${keyDescription}: their public keys differ`,
    );
  }
  if (info.basicConstraints?.ca !== true) {
    throw airsignError('CERT_ISSUER_NOT_CA', `the issuer certificate (${info.subject}) is not a CA certificate (basicConstraints CA:TRUE missing)`);
  }
  if (info.keyUsage !== undefined && !info.keyUsage.usages.includes('keyCertSign')) {
    throw airsignError('CERT_ISSUER_NOT_CA', `the issuer certificate (${info.subject}) may not sign certificates (keyUsage lacks keyCertSign)`);
  }
  return info;
}

function extension(oid: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID: oid, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents. */
function keyIdentifier(spki: SubjectPublicKeyInfo): Uint8Array {
  return new Uint8Array(createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest());
}

/** 16 random bytes, positive, first octet non-zero so the DER INTEGER is exactly 16 bytes. */
function randomSerial(): ArrayBuffer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return toArrayBuffer(bytes);
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}
