/**
 * Certificate revocation lists (RFC 5280 §5) and the revocation status of a certificate chain,
 * decided as notation-core-go decides it (`revocation/revocation.go`, `revocation/internal/crl`),
 * but from CRLs the operator carried in rather than fetched:
 *
 * - the root is never checked; a certificate naming neither a CRL distribution point nor an OCSP
 *   server cannot be revoked (ok); OCSP cannot be asked offline, so a certificate naming only OCSP
 *   is unknown, and one naming both falls back to its CRL, as notation does when OCSP fails;
 * - a CRL applies to a certificate when its issuer name is the certificate's issuer; it counts only
 *   when it is signed by the issuing certificate (with cRLSign when that has a keyUsage), has a
 *   nextUpdate that has not passed, and no critical extension other than the issuing distribution
 *   point; delta CRLs are not used, and a certificate that asks for one (freshestCRL) is unknown;
 * - a listed serial is revoked, unless its invalidityDate is after the authentic signing time, or
 *   its latest temporary entry is removeFromCRL; certificateHold is revoked;
 * - the chain is revoked when any certificate is, ok when every one is, unknown otherwise.
 */
import { X509Certificate, constants, verify, type KeyObject } from 'node:crypto';
import type { RsaSaPssParams } from '@peculiar/asn1-rsa';
import type * as X509 from '@peculiar/asn1-x509';
import { airsignError } from '../errors.js';
import { asn1Rsa, asn1Schema, asn1X509 } from './asn1-packages.js';
import { parseCertificate, type CertificateInfo } from './certificate-info.js';
import { formatDistinguishedName } from './distinguished-name.js';

const { AsnConvert } = asn1Schema;
const { CertificateList, CRLReason, InvalidityDate, CRLDistributionPoints, AuthorityInfoAccessSyntax } = asn1X509;
type CertificateList = X509.CertificateList;

const OID_CRL_REASON = '2.5.29.21';
const OID_INVALIDITY_DATE = '2.5.29.24';
const OID_DELTA_CRL_INDICATOR = '2.5.29.27';
const OID_ISSUING_DISTRIBUTION_POINT = '2.5.29.28';
const OID_CRL_DISTRIBUTION_POINTS = '2.5.29.31';
const OID_FRESHEST_CRL = '2.5.29.46';
const OID_AUTHORITY_INFO_ACCESS = '1.3.6.1.5.5.7.1.1';
const OID_OCSP = '1.3.6.1.5.5.7.48.1';
const REASON_CERTIFICATE_HOLD = 6;
const REASON_REMOVE_FROM_CRL = 8;

/** Hash for node:crypto per CRL signature algorithm (the ones Go's CheckSignature accepts; RSASSA-PSS below). */
const SIGNATURE_HASH: Record<string, string | null> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null,
};
const OID_RSASSA_PSS = '1.2.840.113549.1.1.10';
const OID_MGF1 = '1.2.840.113549.1.1.8';
/** The RSASSA-PSS hashes Go accepts, each only with MGF1 of the same hash and a salt as long as the hash. */
const PSS_HASH: Record<string, { hash: string; saltLength: number }> = {
  '2.16.840.1.101.3.4.2.1': { hash: 'sha256', saltLength: 32 },
  '2.16.840.1.101.3.4.2.2': { hash: 'sha384', saltLength: 48 },
  '2.16.840.1.101.3.4.2.3': { hash: 'sha512', saltLength: 64 },
};

export interface RevokedEntry {
  /** Lower-case hex of the serial number's DER INTEGER content. */
  serialHex: string;
  revocationDate: Date;
  /** CRL entry reason code; 0 (unspecified) when absent, as Go reads it. */
  reasonCode: number;
  invalidityDate?: Date;
  /** OIDs of critical entry extensions other than reason and invalidity date. */
  unsupportedCritical: string[];
}

export interface RevocationList {
  der: Uint8Array;
  issuer: string;
  issuerDer: Uint8Array;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** A delta CRL (deltaCRLIndicator): not used. */
  delta: boolean;
  entries: RevokedEntry[];
  /** OIDs of critical CRL extensions notation does not support. */
  unsupportedCritical: string[];
  signatureAlgorithm: string;
  /** DER of the signature algorithm's parameters, when present (RSASSA-PSS carries its options there). */
  signatureParameters?: Uint8Array;
  tbsDer: Uint8Array;
  signature: Uint8Array;
  /** Where it came from, for messages. */
  source: string;
}

/** Parses one DER CRL. Throws input CRL_INVALID. */
export function parseRevocationList(der: Uint8Array, source: string): RevocationList {
  let list: CertificateList;
  try {
    list = AsnConvert.parse(der, CertificateList);
  } catch (e) {
    throw airsignError('CRL_INVALID', `${source} is not a DER or PEM certificate revocation list (${(e as Error).message})`, { cause: e });
  }
  if (list.tbsCertListRaw === undefined) throw airsignError('CRL_INVALID', `${source}: the CRL has no signed part`);
  const tbs = list.tbsCertList;
  const extensions = tbs.crlExtensions ?? [];
  const bad = (what: string, e: unknown): never => {
    throw airsignError('CRL_INVALID', `${source}: ${what} does not parse`, { cause: e });
  };
  const entries = (tbs.revokedCertificates ?? []).map((entry): RevokedEntry => {
    let reasonCode = 0;
    let invalidityDate: Date | undefined;
    const unsupportedCritical: string[] = [];
    for (const ext of entry.crlEntryExtensions ?? []) {
      if (ext.extnID === OID_CRL_REASON) {
        try {
          reasonCode = AsnConvert.parse(ext.extnValue, CRLReason).reason;
        } catch (e) {
          bad('a CRL entry reason', e);
        }
      } else if (ext.extnID === OID_INVALIDITY_DATE) {
        try {
          invalidityDate = AsnConvert.parse(ext.extnValue, InvalidityDate).value;
        } catch (e) {
          bad('a CRL entry invalidity date', e);
        }
      } else if (ext.critical) unsupportedCritical.push(ext.extnID);
    }
    return {
      serialHex: Buffer.from(entry.userCertificate).toString('hex'),
      revocationDate: entry.revocationDate.getTime(),
      reasonCode,
      ...(invalidityDate === undefined ? {} : { invalidityDate }),
      unsupportedCritical,
    };
  });
  return {
    der,
    issuer: formatDistinguishedName(tbs.issuer),
    issuerDer: new Uint8Array(AsnConvert.serialize(tbs.issuer)),
    thisUpdate: tbs.thisUpdate.getTime(),
    ...(tbs.nextUpdate === undefined ? {} : { nextUpdate: tbs.nextUpdate.getTime() }),
    delta: extensions.some((e) => e.extnID === OID_DELTA_CRL_INDICATOR),
    entries,
    unsupportedCritical: extensions.filter((e) => e.critical && e.extnID !== OID_ISSUING_DISTRIBUTION_POINT && e.extnID !== OID_DELTA_CRL_INDICATOR).map((e) => e.extnID),
    signatureAlgorithm: list.signatureAlgorithm.algorithm,
    ...(list.signatureAlgorithm.parameters == null ? {} : { signatureParameters: new Uint8Array(list.signatureAlgorithm.parameters) }),
    tbsDer: new Uint8Array(list.tbsCertListRaw),
    signature: new Uint8Array(list.signature),
    source,
  };
}

/** notation's revocation results (notation-core-go `revocation/result`). */
export type RevocationResult = 'ok' | 'revoked' | 'unknown';

export interface ChainRevocation {
  result: RevocationResult;
  /** The certificate the result is about (not ok), by subject. */
  subject?: string;
  /** Why it is unknown or revoked, in words. */
  reason?: string;
}

export interface RevocationCheckOptions {
  crls: readonly RevocationList[];
  /** CRL freshness is judged at this time. */
  now: Date;
  /** The authentic signing time (notary.x509.signingAuthority), for invalidity dates. */
  signingTime?: Date;
}

/** The revocation status of `chain` (DER, leaf first, root last). */
export function checkChainRevocation(chain: readonly Uint8Array[], options: RevocationCheckOptions): ChainRevocation {
  const certs = chain.map((der) => parseCertificate(der));
  const results: Array<{ result: RevocationResult | 'non-revokable'; reason?: string }> = certs.map((cert, i) =>
    i === certs.length - 1 ? { result: 'non-revokable' } : certificateStatus(cert, chain[i + 1]!, options));
  let final: ChainRevocation = { result: 'unknown' };
  let revoked: ChainRevocation | undefined;
  for (let i = results.length - 1; i >= 0; i--) {
    const r = results[i]!;
    if (r.result === 'ok' || r.result === 'non-revokable') continue;
    final = { result: r.result, subject: certs[i]!.subject, ...(r.reason === undefined ? {} : { reason: r.reason }) };
    if (r.result === 'revoked') revoked = final;
  }
  if (revoked !== undefined) return revoked;
  if (results.every((r) => r.result === 'ok' || r.result === 'non-revokable')) return { result: 'ok' };
  return final;
}

function certificateStatus(cert: CertificateInfo, issuerDer: Uint8Array, options: RevocationCheckOptions): { result: RevocationResult | 'non-revokable'; reason?: string } {
  const crlUrls = distributionPointUrls(cert);
  const ocsp = ocspUrls(cert);
  if (crlUrls.length === 0) {
    return ocsp.length === 0
      ? { result: 'non-revokable' }
      : { result: 'unknown', reason: `it names only an OCSP server (${ocsp.join(', ')}), which cannot be asked offline` };
  }
  if (cert.extensions.some((e) => e.oid === OID_FRESHEST_CRL)) {
    return { result: 'unknown', reason: 'it asks for a delta CRL (freshestCRL), which is not supported' };
  }
  const candidates = options.crls.filter((crl) => !crl.delta && Buffer.compare(crl.issuerDer, cert.issuerDer) === 0);
  if (candidates.length === 0) return { result: 'unknown', reason: `no CRL from its issuer "${cert.issuer}" was given (it names ${crlUrls.join(', ')})` };
  let firstProblem: string | undefined;
  let ok = false;
  for (const crl of candidates) {
    const problem = crlProblem(crl, issuerDer, options.now);
    if (problem !== undefined) {
      firstProblem ??= `the CRL ${crl.source} ${problem}`;
      continue;
    }
    const status = serialStatus(cert, crl, options.signingTime);
    if (status.result === 'revoked') return { result: 'revoked', reason: `it is listed in the CRL ${crl.source}` };
    if (status.result === 'unknown') firstProblem ??= `the CRL ${crl.source}: ${status.reason}`;
    else ok = true;
  }
  return ok ? { result: 'ok' } : { result: 'unknown', reason: firstProblem ?? 'no usable CRL' };
}

/** Why `crl` cannot be used for certificates of `issuerDer`, or undefined. */
function crlProblem(crl: RevocationList, issuerDer: Uint8Array, now: Date): string | undefined {
  const issuer = parseCertificate(issuerDer);
  if (issuer.keyUsage !== undefined && !issuer.keyUsage.usages.includes('crlSign')) return `cannot be signed by "${issuer.subject}" (it lacks the cRLSign key usage)`;
  const check = signatureCheck(crl);
  if (check === undefined) return `is signed with an unsupported algorithm (${crl.signatureAlgorithm})`;
  let signed: boolean;
  try {
    signed = check(new X509Certificate(issuerDer).publicKey);
  } catch {
    signed = false;
  }
  if (!signed) return `is not signed by its issuer "${issuer.subject}"`;
  if (crl.nextUpdate === undefined) return 'has no nextUpdate';
  if (now > crl.nextUpdate) return `expired at ${crl.nextUpdate.toISOString()} (nextUpdate)`;
  if (crl.unsupportedCritical.length > 0) return `has an unsupported critical extension (${crl.unsupportedCritical.join(', ')})`;
  return undefined;
}

/** How to check the CRL's signature with its issuer's key, or undefined when Go would not know the algorithm. */
function signatureCheck(crl: RevocationList): ((key: KeyObject) => boolean) | undefined {
  if (crl.signatureAlgorithm in SIGNATURE_HASH) {
    const hash = SIGNATURE_HASH[crl.signatureAlgorithm] ?? null;
    return (key) => verify(hash, crl.tbsDer, key, crl.signature);
  }
  if (crl.signatureAlgorithm !== OID_RSASSA_PSS) return undefined;
  const pss = pssOptions(crl.signatureParameters);
  if (pss === undefined) return undefined;
  return (key) => verify(pss.hash, crl.tbsDer, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength }, crl.signature);
}

/**
 * RSASSA-PSS parameters as Go's x509 sorts them (x509.go, getSignatureAlgorithmFromAI): SHA-256/384/512,
 * MGF1 with the same hash, salt length equal to the hash length, trailer field 1, and NULL or absent
 * hash parameters; anything else is an unknown algorithm.
 */
function pssOptions(parameters: Uint8Array | undefined): { hash: string; saltLength: number } | undefined {
  if (parameters === undefined) return undefined;
  let params: RsaSaPssParams;
  let mgfHash: X509.AlgorithmIdentifier;
  try {
    params = AsnConvert.parse(parameters, asn1Rsa().RsaSaPssParams);
    if (params.maskGenAlgorithm.algorithm !== OID_MGF1 || params.maskGenAlgorithm.parameters == null) return undefined;
    mgfHash = AsnConvert.parse(params.maskGenAlgorithm.parameters, asn1X509.AlgorithmIdentifier);
  } catch {
    return undefined;
  }
  const nullOrAbsent = (p: ArrayBuffer | null | undefined) => p == null || Buffer.from(p).equals(Buffer.from([0x05, 0x00]));
  const known = PSS_HASH[params.hashAlgorithm.algorithm];
  if (known === undefined || mgfHash.algorithm !== params.hashAlgorithm.algorithm) return undefined;
  if (!nullOrAbsent(params.hashAlgorithm.parameters) || !nullOrAbsent(mgfHash.parameters) || params.trailerField !== 1) return undefined;
  return params.saltLength === known.saltLength ? known : undefined;
}

function serialStatus(cert: CertificateInfo, crl: RevocationList, signingTime: Date | undefined): { result: 'ok' | 'revoked' | 'unknown'; reason?: string } {
  let latestTemporary: RevokedEntry | undefined;
  for (const entry of crl.entries) {
    if (!sameSerial(entry.serialHex, cert.serialNumberHex)) continue;
    if (entry.unsupportedCritical.length > 0) return { result: 'unknown', reason: `an entry has an unsupported critical extension (${entry.unsupportedCritical.join(', ')})` };
    if (signingTime !== undefined && entry.invalidityDate !== undefined && signingTime < entry.invalidityDate) return { result: 'ok' };
    if (entry.reasonCode === REASON_CERTIFICATE_HOLD || entry.reasonCode === REASON_REMOVE_FROM_CRL) {
      if (latestTemporary === undefined || latestTemporary.revocationDate < entry.revocationDate) latestTemporary = entry;
    } else return { result: 'revoked' };
  }
  return latestTemporary?.reasonCode === REASON_CERTIFICATE_HOLD ? { result: 'revoked' } : { result: 'ok' };
}

/** Serial numbers compare as integers: a redundant leading zero byte does not matter. */
function sameSerial(a: string, b: string): boolean {
  const strip = (s: string) => s.replace(/^(00)+(?=..)/, '');
  return strip(a) === strip(b);
}

/** The URI full names of the cRLDistributionPoints extension (what Go's CRLDistributionPoints holds). */
function distributionPointUrls(cert: CertificateInfo): string[] {
  const ext = extensionValue(cert, OID_CRL_DISTRIBUTION_POINTS);
  if (ext === undefined) return [];
  try {
    return Array.from(AsnConvert.parse(ext, CRLDistributionPoints)).flatMap((dp) =>
      (dp.distributionPoint?.fullName ?? []).flatMap((n) => (n.uniformResourceIdentifier === undefined ? [] : [n.uniformResourceIdentifier])));
  } catch {
    return [];
  }
}

/** The OCSP server URIs of the authorityInfoAccess extension (Go's OCSPServer). */
function ocspUrls(cert: CertificateInfo): string[] {
  const ext = extensionValue(cert, OID_AUTHORITY_INFO_ACCESS);
  if (ext === undefined) return [];
  try {
    return Array.from(AsnConvert.parse(ext, AuthorityInfoAccessSyntax)).flatMap((ad) =>
      (ad.accessMethod === OID_OCSP && ad.accessLocation.uniformResourceIdentifier !== undefined ? [ad.accessLocation.uniformResourceIdentifier] : []));
  } catch {
    return [];
  }
}

function extensionValue(cert: CertificateInfo, oid: string): X509.Extension['extnValue'] | undefined {
  if (!cert.extensions.some((e) => e.oid === oid)) return undefined;
  const parsed = AsnConvert.parse(cert.der, asn1X509.Certificate);
  return (parsed.tbsCertificate.extensions ?? []).find((e) => e.extnID === oid)?.extnValue;
}
