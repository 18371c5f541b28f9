/**
 * Reads an RFC 3161 TimeStampResp: checks the PKI status (granted / grantedWithMods), then the
 * token (CMS SignedData with id-ct-TSTInfo content): its messageImprint must equal the request's
 * and its nonce must echo ours; the signed attributes' messageDigest must match the TSTInfo.
 * Returns the TimeStampToken DER exactly as the TSA sent it.
 */
import { createHash, createPublicKey, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { inputError } from '../errors.js';
import {
  bytesEqual,
  children,
  decodeOne,
  encodeTlv,
  expectTag,
  integerValue,
  oidValue,
  Tag,
  type DerElement,
} from './der.js';
import { HASH_OIDS, type TimeStampRequest } from './time-stamp-request.js';

const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_TST_INFO = '1.2.840.113549.1.9.16.1.4';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';

const STATUS_TEXT = ['granted', 'grantedWithMods', 'rejection', 'waiting', 'revocationWarning', 'revocationNotification'];

export interface TimeStampResult {
  /** The TimeStampToken (ContentInfo) DER, byte-exact from the response. */
  token: Uint8Array;
  genTime: Date;
  serialNumber: string;
  policy: string;
  /** DER certificates carried in the token (certReq = TRUE). */
  certificates: Uint8Array[];
}

export function parseTimeStampResponse(response: Uint8Array, request: TimeStampRequest, options: { tsaCertificate?: Uint8Array } = {}): TimeStampResult {
  let top: DerElement[];
  try {
    top = children(expectTag(decodeOne(response), Tag.Sequence, 'TimeStampResp'));
  } catch (e) {
    throw bad(`not a TimeStampResp (${(e as Error).message})`, e);
  }
  const statusInfo = parseStatus(top[0]);
  if (statusInfo.status !== 0 && statusInfo.status !== 1) {
    const name = STATUS_TEXT[statusInfo.status] ?? `status ${statusInfo.status}`;
    throw inputError('TSA_REJECTED', `the TSA refused the request: ${name}${statusInfo.text ? ` (${statusInfo.text})` : ''}`, {
      details: { status: statusInfo.status, ...(statusInfo.text ? { statusText: statusInfo.text } : {}) },
    });
  }
  const tokenElement = top[1];
  if (tokenElement === undefined) throw bad('the TSA granted the request but sent no token');
  let parsed: ParsedToken;
  try {
    parsed = parseToken(tokenElement);
  } catch (e) {
    if (e instanceof Error && 'code' in e) throw e;
    throw bad(`the time-stamp token is malformed (${(e as Error).message})`, e);
  }
  if (parsed.hashOid !== HASH_OIDS[request.hash] || !bytesEqual(parsed.hashedMessage, request.hashedMessage)) {
    throw inputError('TSA_IMPRINT_MISMATCH', 'the time-stamp token covers different data than the signature sent');
  }
  if (parsed.nonce !== request.nonce) {
    throw inputError('TSA_NONCE_MISMATCH', 'the time-stamp token does not echo the request nonce');
  }
  if (options.tsaCertificate !== undefined) checkSignature(parsed, options.tsaCertificate);
  return {
    token: Uint8Array.from(tokenElement.encoded),
    genTime: parsed.genTime,
    serialNumber: parsed.serialNumber,
    policy: parsed.policy,
    certificates: parsed.certificates,
  };
}

interface ParsedToken {
  hashOid: string;
  hashedMessage: Uint8Array;
  nonce: bigint | undefined;
  genTime: Date;
  serialNumber: string;
  policy: string;
  certificates: Uint8Array[];
  eContent: Uint8Array;
  signerInfos: DerElement[];
}

function parseStatus(element: DerElement | undefined): { status: number; text?: string } {
  try {
    const fields = children(expectTag(element, Tag.Sequence, 'PKIStatusInfo'));
    const status = Number(integerValue(expectTag(fields[0], Tag.Integer, 'PKIStatus')));
    let text: string | undefined;
    const free = fields[1];
    if (free !== undefined && free.tag === Tag.Sequence) {
      text = children(free).map((s) => new TextDecoder().decode(s.content)).join('; ').slice(0, 200);
    }
    return text === undefined ? { status } : { status, text };
  } catch (e) {
    throw bad(`bad PKIStatusInfo (${(e as Error).message})`, e);
  }
}

function parseToken(token: DerElement): ParsedToken {
  const contentInfo = children(expectTag(token, Tag.Sequence, 'TimeStampToken'));
  const contentType = oidValue(expectTag(contentInfo[0], Tag.ObjectIdentifier, 'contentType'));
  if (contentType !== OID_SIGNED_DATA) throw new Error(`content type ${contentType} is not signedData`);
  const explicit = children(expectTag(contentInfo[1], 0xa0, 'content [0]'));
  const signedData = children(expectTag(explicit[0], Tag.Sequence, 'SignedData'));
  // version, digestAlgorithms, encapContentInfo, [0] certificates?, [1] crls?, signerInfos
  const encap = children(expectTag(signedData[2], Tag.Sequence, 'encapContentInfo'));
  const eContentType = oidValue(expectTag(encap[0], Tag.ObjectIdentifier, 'eContentType'));
  if (eContentType !== OID_TST_INFO) throw new Error(`eContentType ${eContentType} is not id-ct-TSTInfo`);
  const eContentWrapper = children(expectTag(encap[1], 0xa0, 'eContent [0]'));
  const eContent = expectTag(eContentWrapper[0], Tag.OctetString, 'eContent').content;
  const certificates: Uint8Array[] = [];
  let signerInfos: DerElement | undefined;
  for (const field of signedData.slice(3)) {
    if (field.tag === 0xa0) for (const cert of children(field)) certificates.push(Uint8Array.from(cert.encoded));
    else if (field.tag === Tag.Set) signerInfos = field;
  }
  const tstInfo = children(expectTag(decodeOne(eContent), Tag.Sequence, 'TSTInfo'));
  const policy = oidValue(expectTag(tstInfo[1], Tag.ObjectIdentifier, 'policy'));
  const imprint = children(expectTag(tstInfo[2], Tag.Sequence, 'messageImprint'));
  const algorithm = children(expectTag(imprint[0], Tag.Sequence, 'hashAlgorithm'));
  const hashOid = oidValue(expectTag(algorithm[0], Tag.ObjectIdentifier, 'hash OID'));
  const hashedMessage = expectTag(imprint[1], Tag.OctetString, 'hashedMessage').content;
  const serialNumber = integerValue(expectTag(tstInfo[3], Tag.Integer, 'serialNumber')).toString(16);
  const genTime = parseGeneralizedTime(expectTag(tstInfo[4], Tag.GeneralizedTime, 'genTime').content);
  let nonce: bigint | undefined;
  for (const field of tstInfo.slice(5)) {
    if (field.tag === Tag.Integer) nonce = integerValue(field);
  }
  return {
    hashOid,
    hashedMessage: Uint8Array.from(hashedMessage),
    nonce,
    genTime,
    serialNumber,
    policy,
    certificates,
    eContent: Uint8Array.from(eContent),
    signerInfos: signerInfos === undefined ? [] : children(signerInfos),
  };
}

function parseGeneralizedTime(content: Uint8Array): Date {
  const text = new TextDecoder().decode(content);
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(text);
  if (!match) throw new Error(`bad genTime ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s, frac] = match;
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms));
}

const DIGEST_NAMES: Record<string, string> = {
  [HASH_OIDS.sha256]: 'sha256',
  [HASH_OIDS.sha384]: 'sha384',
  [HASH_OIDS.sha512]: 'sha512',
  '1.3.14.3.2.26': 'sha1',
};

/**
 * Checks the token's CMS signature with a TSA certificate the caller trusts: the signer's
 * messageDigest attribute must equal the hash of the TSTInfo and the signature over the signed
 * attributes must verify with that certificate's key.
 */
function checkSignature(token: ParsedToken, tsaCertificate: Uint8Array): void {
  const fail = (why: string) => inputError('TSA_BAD_SIGNATURE', `the time-stamp token does not verify with the given TSA certificate: ${why}`);
  let key;
  try {
    key = new X509Certificate(tsaCertificate).publicKey;
  } catch (e) {
    throw inputError('TSA_BAD_CERTIFICATE', `the TSA certificate cannot be read: ${(e as Error).message}`, { cause: e });
  }
  for (const signerInfo of token.signerInfos) {
    try {
      const fields = children(signerInfo);
      // version, sid, digestAlgorithm, [0] signedAttrs, signatureAlgorithm, signature
      const digestOid = oidValue(children(fields[2]!)[0]!);
      const digestName = DIGEST_NAMES[digestOid];
      const signedAttrs = fields[3];
      if (digestName === undefined || signedAttrs === undefined || signedAttrs.tag !== 0xa0) continue;
      let messageDigest: Uint8Array | undefined;
      let contentTypeOk = false;
      for (const attribute of children(signedAttrs)) {
        const [type, values] = children(attribute);
        const oid = oidValue(type!);
        const value = children(values!)[0]!;
        if (oid === OID_MESSAGE_DIGEST) messageDigest = value.content;
        if (oid === OID_CONTENT_TYPE) contentTypeOk = oidValue(value) === OID_TST_INFO;
      }
      if (!contentTypeOk) throw fail('the signed content type is not TSTInfo');
      const actual = createHash(digestName).update(token.eContent).digest();
      if (messageDigest === undefined || !bytesEqual(actual, messageDigest)) throw fail('messageDigest does not match the TSTInfo');
      // The signature covers the signed attributes re-tagged as a SET.
      const toVerify = encodeTlv(Tag.Set, signedAttrs.content);
      const signature = fields[5]!.content;
      const sigOid = oidValue(children(fields[4]!)[0]!);
      const ok = sigOid === '1.2.840.113549.1.1.10'
        ? cryptoVerify(digestName, toVerify, { key: createPublicKey(key.export({ format: 'pem', type: 'spki' })), padding: 6, saltLength: -2 }, signature)
        : cryptoVerify(digestName, toVerify, key, signature);
      if (ok) return;
    } catch (e) {
      if (e instanceof Error && 'code' in e && (e as { code: unknown }).code === 'TSA_BAD_SIGNATURE') throw e;
    }
  }
  throw fail('no signer info verifies');
}

function bad(message: string, cause?: unknown) {
  return inputError('TSA_BAD_RESPONSE', message, cause === undefined ? {} : { cause });
}
