/**
 * Notation's rules for a signing certificate chain (notation-core-go `x509/codesigning_cert_validations.go`,
 * Notary Project signature specification §Certificate Requirements), applied before signing so we never
 * write an envelope Notation would reject, and again by our verifier.
 *
 * - chain ordered leaf → root; each certificate issued (name and signature) by the next; the last one
 *   self-signed; a single certificate must be self-signed; no self-signed certificate before the root;
 * - no SHA-1/MD5 certificate signatures; every certificate valid at the signing time when signing (verification
 *   passes no time, as notation-core-go does: validity is the trust policy's authentic-timestamp step);
 * - leaf: keyUsage present and critical with digitalSignature and none of keyEncipherment,
 *   dataEncipherment, keyAgreement, keyCertSign, cRLSign, encipherOnly, decipherOnly; extended key
 *   usage, when present, without serverAuth, clientAuth, emailProtection, timeStamping or OCSPSigning
 *   (anyExtendedKeyUsage is allowed, as notation-core-go allows it); basicConstraints, when present, not a CA; a key Notation can use;
 * - CA certificates: basicConstraints cA = true with a path length that allows the chain below, and a
 *   critical keyUsage with keyCertSign;
 * - every serial number > 0 (Go 1.23+ refuses to parse a certificate with a negative or zero one).
 */
import { AirsignError, airsignError } from '../../errors.js';
import type { ErrorCode } from '../../errors.js';
import { notationAlgorithmFor, type NotationAlgorithm } from './notation-algorithm.js';
import { bytesEqual } from '../../bytes.js';
import { samePublicKey } from '../../x509/certificate-info.js';
import { weakCertificateSignature } from '../../x509/signature-algorithm.js';
import { parseNotationCertificate, type NotationCertificate } from './notation-certificate.js';

const KU_DIGITAL_SIGNATURE = 1;
const KU_KEY_CERT_SIGN = 32;
/** keyEncipherment | dataEncipherment | keyAgreement | keyCertSign | cRLSign | encipherOnly | decipherOnly */
const KU_FORBIDDEN_ON_LEAF = 4 | 8 | 16 | 32 | 64 | 128 | 256;

const FORBIDDEN_LEAF_EKU: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
};

const NO_CHAIN = 'Notation signatures need a certificate chain for the key (give one with --cert, or store it with the key)';

export type ErrorFactory = (code: ErrorCode, message: string, cause?: unknown) => AirsignError;

/** Signing: a chain Notation would refuse is a key problem, reported under its own code. */
export const keyFailure: ErrorFactory = (code, message, cause) =>
  airsignError(code, message, cause === undefined ? undefined : { cause });
/** Verifying: the same rule broken by a signature is a verification failure; `details.rule` names it. */
export const verificationFailure: ErrorFactory = (code, message, cause) =>
  airsignError('NOTATION_CHAIN_REJECTED', message, { details: { rule: code }, ...(cause === undefined ? {} : { cause }) });

export interface NotationChainOptions {
  /** The certificates must all be valid at this time (the signing time); default now. */
  at?: Date;
}

/**
 * A chain that passed {@link prepareNotationChain}: made once per signing run and handed to every
 * envelope of that run, so the rules (and the certificate signature checks) run once, not once per
 * signature. Only prepareNotationChain makes these.
 */
export interface ValidatedNotationChain {
  /** DER, leaf first, as checked. */
  readonly chain: readonly Uint8Array[];
  readonly certificates: readonly NotationCertificate[];
  /** The signing key's SubjectPublicKeyInfo (DER) that the leaf certifies. */
  readonly spki: Uint8Array;
  /** The time every certificate was found valid at (the signing time). */
  readonly at: Date;
  readonly algorithm: NotationAlgorithm;
}

const validatedChains = new WeakSet<ValidatedNotationChain>();

/** True for an object prepareNotationChain made (not a look-alike). */
export function isValidatedNotationChain(value: unknown): value is ValidatedNotationChain {
  return typeof value === 'object' && value !== null && validatedChains.has(value as ValidatedNotationChain);
}

/** {@link validateNotationChain}, keeping the parsed result for the run's envelopes and self-checks. */
export function prepareNotationChain(chain: Uint8Array[], spki: Uint8Array, options: NotationChainOptions = {}): ValidatedNotationChain {
  const at = options.at ?? new Date();
  const { algorithm, certificates } = validate(chain, spki, at);
  const result: ValidatedNotationChain = Object.freeze({
    chain: Object.freeze(chain.map((der) => Uint8Array.from(der))),
    certificates: Object.freeze(certificates),
    spki: Uint8Array.from(spki),
    at: new Date(at.getTime()),
    algorithm,
  });
  validatedChains.add(result);
  return result;
}

/**
 * Checks `chain` (DER, leaf first) against Notation's rules and that the leaf certifies `spki` (the
 * signing key's SubjectPublicKeyInfo, DER). Returns the algorithm the leaf key fixes. Throws
 * AirsignError kind `key` with codes NOTATION_NO_CERTIFICATE, NOTATION_CERT_MALFORMED,
 * NOTATION_KEY_UNSUPPORTED, KEY_CERT_MISMATCH, NOTATION_LEAF_KEY_USAGE, NOTATION_LEAF_EKU,
 * NOTATION_LEAF_IS_CA, NOTATION_CHAIN_ORDER, NOTATION_CA_INVALID, NOTATION_WEAK_CERT_SIGNATURE,
 * NOTATION_CERT_NOT_VALID.
 */
export function validateNotationChain(chain: Uint8Array[], spki: Uint8Array, options: NotationChainOptions = {}): NotationAlgorithm {
  return validate(chain, spki, options.at ?? new Date()).algorithm;
}

function validate(chain: Uint8Array[], spki: Uint8Array, at: Date): { algorithm: NotationAlgorithm; certificates: NotationCertificate[] } {
  const leafDer = chain[0];
  if (leafDer === undefined) throw keyFailure('NOTATION_NO_CERTIFICATE', NO_CHAIN);
  // The key match first: a certificate for another key is the likelier mistake, and the clearer message.
  const leaf = parseNotationCertificate(leafDer, keyFailure, 'the signing certificate');
  if (!samePublicKey(leaf.spki, spki)) {
    const position = chain.findIndex((der, i) => i > 0 && samePublicKey(parseNotationCertificate(der, keyFailure).spki, spki));
    if (position > 0) {
      throw airsignError('NOTATION_CHAIN_ORDER',
        `the signing key's certificate is number ${position + 1} in the chain; the chain must run leaf first, root last`);
    }
    throw airsignError('KEY_CERT_MISMATCH',
      `the certificate "${leaf.subject}" is not for the signing key (its public key differs)`);
  }
  // The leaf is parsed once (the parse is most of the check's time).
  const certificates = checkParsedChain([leaf, ...parseChain(chain.slice(1), keyFailure, 1)], at, keyFailure);
  return { algorithm: notationAlgorithmFor(certificates[0]!.spki), certificates };
}

function parseChain(chain: Uint8Array[], fail: ErrorFactory, first = 0): NotationCertificate[] {
  return chain.map((der, i) => parseNotationCertificate(der, fail, `certificate ${first + i + 1} of the chain`));
}

/**
 * The rules without the key match, with the error kind chosen by `fail`; returns the parsed chain.
 * `at` undefined checks no validity period: notation-core-go's envelope verification passes no
 * time (the validity belongs to the authentic-timestamp step of the trust policy).
 */
export function checkNotationChain(chain: Uint8Array[], at: Date | undefined, fail: ErrorFactory): NotationCertificate[] {
  if (chain.length === 0) {
    throw fail('NOTATION_NO_CERTIFICATE', NO_CHAIN);
  }
  return checkParsedChain(parseChain(chain, fail), at, fail);
}

function checkParsedChain(certs: NotationCertificate[], at: Date | undefined, fail: ErrorFactory): NotationCertificate[] {
  certs.forEach((cert, i) => {
    const weak = weakCertificateSignature(cert.signatureAlgorithm);
    if (weak !== undefined) {
      throw fail('NOTATION_WEAK_CERT_SIGNATURE', `certificate "${cert.subject}" is signed with ${weak}, which Notation refuses`);
    }
    if (at !== undefined && (at < cert.notBefore || at > cert.notAfter)) {
      throw fail('NOTATION_CERT_NOT_VALID',
        `certificate "${cert.subject}" is not valid at ${at.toISOString()} (valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()})`);
    }
    const last = i === certs.length - 1;
    if (!last) {
      const issuer = certs[i + 1]!;
      if (!bytesEqual(cert.rawIssuer, issuer.rawSubject) || !signedBy(cert, issuer)) {
        throw fail('NOTATION_CHAIN_ORDER',
          `certificate ${i + 1} ("${cert.subject}") is not issued by certificate ${i + 2} ("${issuer.subject}"); the chain must run leaf first, root last`);
      }
      if (isSelfSigned(cert)) {
        throw fail('NOTATION_CHAIN_ORDER', `certificate ${i + 1} ("${cert.subject}") is self-signed but is not the last in the chain`);
      }
    } else if (!isSelfSigned(cert)) {
      throw fail('NOTATION_CHAIN_ORDER', certs.length === 1
        ? `the single certificate "${cert.subject}" must be self-signed, or the chain must include its issuers up to the root`
        : `the last certificate ("${cert.subject}") must be a self-signed root`);
    }
    if (i > 0) checkCa(cert, i - 1, fail);
  });
  checkLeaf(certs[0]!, fail);
  return certs;
}

function checkLeaf(leaf: NotationCertificate, fail: ErrorFactory): void {
  const ku = leaf.keyUsage;
  if (ku === undefined || !ku.critical || (ku.flags & KU_DIGITAL_SIGNATURE) === 0) {
    throw fail('NOTATION_LEAF_KEY_USAGE',
      `the signing certificate "${leaf.subject}" needs a critical keyUsage extension with digitalSignature`);
  }
  if ((ku.flags & KU_FORBIDDEN_ON_LEAF) !== 0) {
    throw fail('NOTATION_LEAF_KEY_USAGE',
      `the signing certificate "${leaf.subject}" has key usages Notation forbids (only digitalSignature and nonRepudiation are allowed)`);
  }
  const forbidden = (leaf.extKeyUsage ?? []).map((oid) => FORBIDDEN_LEAF_EKU[oid]).filter((n) => n !== undefined);
  if (forbidden.length > 0) {
    throw fail('NOTATION_LEAF_EKU',
      `the signing certificate "${leaf.subject}" has extended key usage ${forbidden.join(', ')}, which Notation forbids (use codeSigning)`);
  }
  if (leaf.basicConstraints?.ca === true) {
    throw fail('NOTATION_LEAF_IS_CA', `the signing certificate "${leaf.subject}" is a CA certificate (basicConstraints cA=true)`);
  }
  try {
    notationAlgorithmFor(leaf.spki);
  } catch (e) {
    throw fail('NOTATION_KEY_UNSUPPORTED', (e as Error).message, e);
  }
}

function checkCa(cert: NotationCertificate, intermediatesBelow: number, fail: ErrorFactory): void {
  const bc = cert.basicConstraints;
  if (bc === undefined || !bc.ca) {
    throw fail('NOTATION_CA_INVALID', `issuing certificate "${cert.subject}" is not a CA (basicConstraints cA must be true)`);
  }
  if (bc.pathLen !== undefined && bc.pathLen < intermediatesBelow) {
    throw fail('NOTATION_CA_INVALID', `issuing certificate "${cert.subject}" allows a path length of ${bc.pathLen}, the chain needs ${intermediatesBelow}`);
  }
  if (cert.keyUsage === undefined || (cert.keyUsage.flags & KU_KEY_CERT_SIGN) === 0) {
    throw fail('NOTATION_CA_INVALID', `issuing certificate "${cert.subject}" lacks the keyCertSign key usage`);
  }
  if (!cert.keyUsage.critical) {
    throw fail('NOTATION_CA_INVALID', `issuing certificate "${cert.subject}" has a keyUsage extension that is not critical, which Notation refuses`);
  }
}

function signedBy(cert: NotationCertificate, issuer: NotationCertificate): boolean {
  try {
    return cert.x509.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function isSelfSigned(cert: NotationCertificate): boolean {
  return bytesEqual(cert.rawIssuer, cert.rawSubject) && signedBy(cert, cert);
}
