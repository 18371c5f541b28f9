/**
 * Verifies a stored RFC 3161 TimeStampToken as a countersignature (Notation's authentic timestamp):
 * it must parse, its messageImprint must be the hash of the countersigned bytes, one of its
 * certificates must have signed it, be named by its ESS signing-certificate-v2 attribute and carry a
 * critical timeStamping-only extended key usage, and
 * that certificate's path must lead to one of the caller's TSA roots. Returns the time range the
 * token vouches for (genTime ± accuracy).
 */
import { createHash } from 'node:crypto';
import { airsignError, isAirsignError } from '../errors.js';
import type { HashAlgorithm } from '../key-backend.js';
import { EKU, parseCertificate } from '../x509/certificate-info.js';
import { validateCertificatePath } from '../x509/path-validation.js';
import { HASH_OIDS } from './time-stamp-request.js';
import { checkTimeStampSignature, parseTimeStampToken } from './time-stamp-response.js';

export interface VerifyTimeStampOptions {
  /** The bytes the token countersigns. */
  message: Uint8Array;
  hash: HashAlgorithm;
  /** TSA root certificates (DER). */
  trustedRoots: Uint8Array[];
  /** When the TSA's chain is checked. */
  at: Date;
}

export interface VerifiedTimeStamp {
  genTime: Date;
  earliest: Date;
  latest: Date;
  /** The TSA certificate's subject. */
  tsa: string;
}

/** Throws TSA_BAD_RESPONSE (malformed), TSA_IMPRINT_MISMATCH, TSA_BAD_SIGNATURE or CERT_PATH_INVALID. */
export function verifyTimeStampToken(token: Uint8Array, options: VerifyTimeStampOptions): VerifiedTimeStamp {
  const parsed = parseTimeStampToken(token);
  const imprint = new Uint8Array(createHash(options.hash).update(options.message).digest());
  if (parsed.hashOid !== HASH_OIDS[options.hash] || !bytesEqual(parsed.hashedMessage, imprint)) {
    throw airsignError('TSA_IMPRINT_MISMATCH', 'the timestamp does not cover this signature (messageImprint mismatch)');
  }
  let signer: Uint8Array | undefined;
  for (const cert of parsed.certificates) {
    try {
      checkTimeStampSignature(parsed, cert);
      signer = cert;
      break;
    } catch (e) {
      if (!isAirsignError(e)) throw e;
    }
  }
  if (signer === undefined) throw airsignError('TSA_BAD_SIGNATURE', 'no certificate in the timestamp token verifies its signature');
  checkSigningCertificateV2(parsed.signerInfos, signer);
  const info = parseCertificate(signer);
  const eku = info.extendedKeyUsage;
  if (eku === undefined || !eku.critical || eku.purposes.length !== 1 || eku.purposes[0] !== EKU.timeStamping) {
    throw airsignError('TSA_BAD_CERTIFICATE', `the timestamping certificate "${info.subject}" must have a critical extended key usage of timeStamping only`);
  }
  validateCertificatePath(signer, { intermediates: parsed.certificates, roots: options.trustedRoots, at: parsed.genTime });
  const accuracy = parsed.accuracyMs ?? 0;
  return {
    genTime: parsed.genTime,
    earliest: new Date(parsed.genTime.getTime() - accuracy),
    latest: new Date(parsed.genTime.getTime() + accuracy),
    tsa: info.subject,
  };
}

const ID_AA_SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47';

/**
 * RFC 5816 / RFC 5035: the signed ESS signing-certificate-v2 attribute must name the TSA certificate
 * (an ESSCertIDv2 whose certHash is the hash of that certificate), so a token cannot be re-attributed
 * to another certificate with the same key. Checked as "the attribute holds the OCTET STRING of the
 * certificate's SHA-256, -384 or -512 hash".
 */
function checkSigningCertificateV2(signerInfos: Array<{ signedAttrs?: Iterable<{ attrType: string; attrValues: ArrayBuffer[] }> }>, signer: Uint8Array): void {
  const hashes = (['sha256', 'sha384', 'sha512'] as const).map((h) => new Uint8Array(createHash(h).update(signer).digest()));
  for (const info of signerInfos) {
    for (const attribute of info.signedAttrs ?? []) {
      if (attribute.attrType !== ID_AA_SIGNING_CERTIFICATE_V2) continue;
      for (const value of attribute.attrValues) {
        const bytes = new Uint8Array(value);
        if (hashes.some((h) => containsOctetString(bytes, h))) return;
      }
      throw airsignError('TSA_BAD_CERTIFICATE', 'the timestamp token\'s signing-certificate-v2 attribute does not name the certificate that signed it');
    }
  }
  throw airsignError('TSA_BAD_CERTIFICATE', 'the timestamp token has no signing-certificate-v2 attribute (RFC 5816)');
}

function containsOctetString(haystack: Uint8Array, value: Uint8Array): boolean {
  const needle = Uint8Array.of(0x04, value.length, ...value);
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
