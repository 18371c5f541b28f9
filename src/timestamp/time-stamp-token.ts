/**
 * Checks an RFC 3161 TimeStampToken the way Notation does (notation-core-go / tspclient-go) before
 * it goes into a signature: one signer, whose certificate is in the token and chains to a TSA root
 * the user gave (src/x509/path-validation.ts) at genTime; that certificate's extended key usage is
 * critical and exactly timeStamping; the ESS signing-certificate-v2 attribute names it by hash; no
 * SHA-1 anywhere (message imprint, signer digest, CMS signature, ESS hash); the CMS signature
 * verifies. And, once the signing chain is known, genTime ± accuracy must fall inside every signing
 * certificate's validity.
 */
import { createHash } from 'node:crypto';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { AsnArray, AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import { airsignError } from '../errors.js';
import type { HashAlgorithm } from '../key-backend.js';
import { bytesEqual } from '../bytes.js';
import { parseCertificate, type CertificateInfo } from '../x509/certificate-info.js';
import { validateCertificatePath } from '../x509/path-validation.js';
import { HASH_OIDS } from './time-stamp-request.js';
import { checkSignature, DIGEST_NAMES, octets, parseTimeStampToken, type ParsedToken, type SignerInfoFrame } from './time-stamp-response.js';

const ID_SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47';
const ID_KP_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';
const SHA1_OID = '1.3.14.3.2.26';
const SHA1_SIGNATURES = new Set(['1.2.840.113549.1.1.5', '1.2.840.10045.4.1', '1.2.840.10040.4.3']);

/** ESSCertIDv2 (RFC 5035): hashAlgorithm DEFAULT sha256, certHash, issuerSerial OPTIONAL (kept raw). */
class EssCertIdV2 {
  hashAlgorithm?: AlgorithmIdentifier;
  certHash = new OctetString();
  issuerSerial?: ArrayBuffer;
}
AsnProp({ type: AlgorithmIdentifier, optional: true })(EssCertIdV2.prototype, 'hashAlgorithm');
AsnProp({ type: OctetString })(EssCertIdV2.prototype, 'certHash');
AsnProp({ type: AsnPropTypes.Any, optional: true })(EssCertIdV2.prototype, 'issuerSerial');

class EssCertIdV2s extends AsnArray<EssCertIdV2> {
  constructor(items?: EssCertIdV2[]) {
    super(items);
    Object.setPrototypeOf(this, EssCertIdV2s.prototype);
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: EssCertIdV2 })(EssCertIdV2s);

/** SigningCertificateV2: certs, policies OPTIONAL (kept raw). */
class SigningCertificateV2 {
  certs = new EssCertIdV2s();
  policies?: ArrayBuffer;
}
AsnProp({ type: EssCertIdV2s })(SigningCertificateV2.prototype, 'certs');
AsnProp({ type: AsnPropTypes.Any, optional: true })(SigningCertificateV2.prototype, 'policies');

export interface VerifyTimeStampOptions {
  /** The time-stamped data (for a Notation signature: the raw signature bytes) and its hash. */
  message: Uint8Array;
  hash: HashAlgorithm;
  /** TSA roots the user trusts (DER); the signer's chain must end at one of them. */
  roots: readonly Uint8Array[];
}

export interface VerifiedTimeStamp {
  genTime: Date;
  accuracyMs: number;
  /** The TSA's path, DER, signer first, root last. */
  tsaPath: Uint8Array[];
}

/** Verifies `token` as Notation would (see the module comment). Throws TSA_* input errors. */
export function verifyTimeStampToken(token: Uint8Array, options: VerifyTimeStampOptions): VerifiedTimeStamp {
  const parsed = parseTimeStampToken(token);
  checkImprint(parsed, options.message, options.hash);
  if (parsed.signerInfos.length !== 1) {
    throw airsignError('TSA_TOKEN_UNTRUSTED', `the time-stamp token has ${parsed.signerInfos.length} signers; exactly one is allowed`);
  }
  const signerInfo = parsed.signerInfos[0]!;
  if (signerInfo.digestAlgorithm.algorithm === SHA1_OID || SHA1_SIGNATURES.has(signerInfo.signatureAlgorithm.algorithm)) {
    throw airsignError('TSA_WEAK_ALGORITHM', 'the TSA signed the time-stamp token with SHA-1, which Notation refuses');
  }
  const signer = findSignerCertificate(parsed, signerInfo);
  checkSignature(parsed, signer.der);
  checkTimeStampingEku(signer);
  checkEssSigningCertificateV2(signerInfo, signer.der);
  const path = validateCertificatePath({ leaf: signer.der, intermediates: parsed.certificates, roots: options.roots, at: parsed.genTime });
  if (!path.ok) {
    throw airsignError('TSA_TOKEN_UNTRUSTED', `the time-stamp token's certificate does not chain to the given TSA root: ${path.message}`, {
      details: { rule: path.rule },
    });
  }
  return { genTime: parsed.genTime, accuracyMs: parsed.accuracyMs, tsaPath: path.path };
}

/**
 * notation-go's rule for a time-stamped signature: genTime ± accuracy lies inside the validity of
 * every certificate of the signing chain. Also re-checks that the token covers `signature`.
 */
export function checkTimeStampCoversChain(
  token: Uint8Array,
  signature: Uint8Array,
  hash: HashAlgorithm,
  chain: ReadonlyArray<{ subject: string; notBefore: Date; notAfter: Date }>,
): void {
  const parsed = parseTimeStampToken(token);
  checkImprint(parsed, signature, hash);
  const earliest = new Date(parsed.genTime.getTime() - parsed.accuracyMs);
  const latest = new Date(parsed.genTime.getTime() + parsed.accuracyMs);
  for (const cert of chain) {
    if (earliest < cert.notBefore || latest > cert.notAfter) {
      throw airsignError('TSA_TIME_OUTSIDE_VALIDITY',
        `the time stamp (${parsed.genTime.toISOString()} ± ${parsed.accuracyMs / 1000} s) is not inside the validity of "${cert.subject}" (${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()})`);
    }
  }
}

function checkImprint(parsed: ParsedToken, message: Uint8Array, hash: HashAlgorithm): void {
  if (parsed.hashOid === SHA1_OID) throw airsignError('TSA_WEAK_ALGORITHM', 'the time-stamp token\'s message imprint uses SHA-1, which Notation refuses');
  const digest = createHash(hash).update(message).digest();
  if (parsed.hashOid !== HASH_OIDS[hash] || !bytesEqual(parsed.hashedMessage, digest)) {
    throw airsignError('TSA_IMPRINT_MISMATCH', 'the time-stamp token covers different data than the signature');
  }
}

/** The token certificate the signer identifier names (issuer and serial, or subject key identifier). */
function findSignerCertificate(parsed: ParsedToken, signerInfo: SignerInfoFrame): CertificateInfo {
  const sid = signerInfo.sid;
  for (const der of parsed.certificates) {
    let info: CertificateInfo;
    try {
      info = parseCertificate(der);
    } catch {
      continue;
    }
    if (sid.issuerAndSerialNumber !== undefined) {
      const issuer = new Uint8Array(AsnConvert.serialize(sid.issuerAndSerialNumber.issuer));
      const serial = Buffer.from(sid.issuerAndSerialNumber.serialNumber).toString('hex');
      if (bytesEqual(issuer, info.issuerDer) && serial === info.serialNumberHex) return info;
    } else if (sid.subjectKeyIdentifier !== undefined) {
      if (Buffer.from(octets(sid.subjectKeyIdentifier)).toString('hex') === info.subjectKeyIdentifier) return info;
    }
  }
  throw airsignError('TSA_TOKEN_UNTRUSTED', 'the time-stamp token does not carry its signer\'s certificate (the request asked for it)');
}

function checkTimeStampingEku(signer: CertificateInfo): void {
  const eku = signer.extendedKeyUsage;
  if (eku === undefined || !eku.critical || eku.purposes.length !== 1 || eku.purposes[0] !== ID_KP_TIME_STAMPING) {
    throw airsignError('TSA_CERT_EKU',
      `the TSA certificate "${signer.subject}" needs a critical extended key usage of timeStamping only (it has ${eku === undefined ? 'none' : `${eku.critical ? 'critical' : 'non-critical'} ${eku.purposes.join(', ')}`})`);
  }
}

function checkEssSigningCertificateV2(signerInfo: SignerInfoFrame, signerDer: Uint8Array): void {
  const attribute = (signerInfo.signedAttrs ?? []).find((a) => a.attrType === ID_SIGNING_CERTIFICATE_V2);
  const value = attribute?.attrValues[0];
  if (value === undefined) {
    throw airsignError('TSA_ESS_MISSING', 'the time-stamp token lacks the ESS signing-certificate-v2 attribute Notation requires');
  }
  let first: EssCertIdV2 | undefined;
  try {
    first = AsnConvert.parse(value, SigningCertificateV2).certs[0];
  } catch (e) {
    throw airsignError('TSA_ESS_MISSING', `the time-stamp token's signing-certificate-v2 attribute is malformed (${(e as Error).message})`, { cause: e });
  }
  if (first === undefined) throw airsignError('TSA_ESS_MISSING', 'the time-stamp token\'s signing-certificate-v2 attribute names no certificate');
  const oid = first.hashAlgorithm?.algorithm ?? HASH_OIDS.sha256;
  if (oid === SHA1_OID) throw airsignError('TSA_WEAK_ALGORITHM', 'the time-stamp token names its certificate by a SHA-1 hash, which Notation refuses');
  const name = DIGEST_NAMES[oid];
  if (name === undefined || !bytesEqual(createHash(name).update(signerDer).digest(), octets(first.certHash))) {
    throw airsignError('TSA_ESS_MISSING', 'the time-stamp token\'s signing-certificate-v2 attribute does not name the certificate that signed it');
  }
}
