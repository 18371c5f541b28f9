/**
 * Reads an RFC 3161 TimeStampResp: checks the PKI status (granted / grantedWithMods), then the
 * token (CMS SignedData with id-ct-TSTInfo content): its messageImprint must equal the request's
 * and its nonce must echo ours; the signed attributes' messageDigest must match the TSTInfo.
 * Returns the TimeStampToken DER exactly as the TSA sent it.
 *
 * The ASN.1 comes from @peculiar/asn1-tsp and asn1-cms. Three places need the exact bytes the
 * TSA sent rather than a re-encoding, so they are read through the small "frame" schemas below,
 * which mirror the library's TimeStampResp / SignedData / SignerInfo field for field but keep
 * those parts as raw encodings (asn1-schema's ANY and `raw` properties): the token itself (it is
 * returned to the caller and embedded in signatures), the certificates, and the signed
 * attributes (the CMS signature covers their DER). They are separate classes, not subclasses of
 * the library's: asn1-schema copies a parent's compiled schema into a subclass declared after the
 * parent was first used, so an overridden field would not reliably take effect.
 *
 * The library's decoder reads BER; what the previous hand-written reader enforced on top of it is
 * kept: exactly one element (no trailing bytes), definite lengths only, genTime in UTC form.
 */
import { createHash, createPublicKey, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import {
  Attribute,
  DigestAlgorithmIdentifier,
  DigestAlgorithmIdentifiers,
  EncapsulatedContentInfo,
  id_contentType,
  id_messageDigest,
  id_signedData,
  RevocationInfoChoices,
  SignatureAlgorithmIdentifier,
  SignerIdentifier,
} from '@peculiar/asn1-cms';
import {
  AsnArray,
  AsnConvert,
  AsnIntegerArrayBufferConverter,
  AsnIntegerBigIntConverter,
  AsnObjectIdentifierConverter,
  AsnProp,
  AsnPropTypes,
  AsnType,
  AsnTypeTypes,
  OctetString,
} from '@peculiar/asn1-schema';
import { id_ct_tstInfo, PKIStatusInfo, TimeStampToken, TSTInfo } from '@peculiar/asn1-tsp';
import { bytesEqual } from '../bytes.js';
import { airsignError } from '../errors.js';
import { HASH_OIDS, type TimeStampRequest } from './time-stamp-request.js';

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

// ---- frames: library schemas with some parts kept as their exact encodings ----

/** What a node of asn1-schema's decoder (asn1js) tells about its encoding. */
interface DecodedNode {
  idBlock?: { isConstructed?: boolean; tagClass?: number; tagNumber?: number };
  lenBlock?: { isIndefiniteForm?: boolean };
  valueBlock?: { value?: unknown; valueHexView?: Uint8Array };
}

/** The children of a constructed node (not what asn1js may have found embedded in an OCTET or BIT STRING). */
function childNodes(node: DecodedNode): DecodedNode[] {
  const inner = node.valueBlock?.value;
  return node.idBlock?.isConstructed === true && Array.isArray(inner) ? (inner as DecodedNode[]) : [];
}

/**
 * One element, accepted only in definite-length form throughout (DER; asn1js alone would also
 * take BER's indefinite lengths). Used only for reading; keeps the decoded node for further checks.
 */
class DefiniteLengthElement {
  node: DecodedNode = {};

  fromASN(node: DecodedNode): this {
    const check = (n: DecodedNode): void => {
      if (n.lenBlock?.isIndefiniteForm === true) throw new Error('indefinite length (not DER)');
      for (const child of childNodes(n)) check(child);
    };
    check(node);
    this.node = node;
    return this;
  }

  toASN(): never {
    throw new Error('DefiniteLengthElement is only read');
  }

  toSchema(): never {
    throw new Error('DefiniteLengthElement is only read');
  }
}

/** SEQUENCE OF elements, each checked to be definite-length throughout. */
class DefiniteLengthSequence extends AsnArray<DefiniteLengthElement> {
  constructor(items?: DefiniteLengthElement[]) {
    super(items);
    Object.setPrototypeOf(this, DefiniteLengthSequence.prototype);
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: DefiniteLengthElement })(DefiniteLengthSequence);

/** SET OF ANY: the exact encoding of each element. */
class AnySet extends AsnArray<ArrayBuffer> {
  constructor(items?: ArrayBuffer[]) {
    super(items);
    Object.setPrototypeOf(this, AnySet.prototype);
  }
}
AsnType({ type: AsnTypeTypes.Set, itemType: AsnPropTypes.Any })(AnySet);

/** SET OF Attribute, as one (non-repeated) value so that its raw encoding can be kept. */
class AttributeSet extends AsnArray<Attribute> {
  constructor(items?: Attribute[]) {
    super(items);
    Object.setPrototypeOf(this, AttributeSet.prototype);
  }
}
AsnType({ type: AsnTypeTypes.Set, itemType: Attribute })(AttributeSet);

/** TimeStampResp with the token kept as its exact encoding (parsed only once the status says granted). */
class TimeStampRespFrame {
  status = new PKIStatusInfo();
  timeStampToken?: ArrayBuffer;
}
AsnProp({ type: PKIStatusInfo })(TimeStampRespFrame.prototype, 'status');
AsnProp({ type: AsnPropTypes.Any, optional: true })(TimeStampRespFrame.prototype, 'timeStampToken');

/** asn1-cms SignerInfo, with `signedAttrsRaw` = the exact [0] IMPLICIT encoding of the signed attributes. */
export class SignerInfoFrame {
  version = 0;
  sid = new SignerIdentifier();
  digestAlgorithm = new DigestAlgorithmIdentifier();
  signedAttrs?: AttributeSet;
  signedAttrsRaw?: ArrayBuffer | ArrayBufferView;
  signatureAlgorithm = new SignatureAlgorithmIdentifier();
  signature = new OctetString();
  unsignedAttrs?: Attribute[];
}
AsnProp({ type: AsnPropTypes.Integer })(SignerInfoFrame.prototype, 'version');
AsnProp({ type: SignerIdentifier })(SignerInfoFrame.prototype, 'sid');
AsnProp({ type: DigestAlgorithmIdentifier })(SignerInfoFrame.prototype, 'digestAlgorithm');
AsnProp({ type: AttributeSet, context: 0, implicit: true, optional: true, raw: true })(SignerInfoFrame.prototype, 'signedAttrs');
AsnProp({ type: SignatureAlgorithmIdentifier })(SignerInfoFrame.prototype, 'signatureAlgorithm');
AsnProp({ type: OctetString })(SignerInfoFrame.prototype, 'signature');
AsnProp({ type: Attribute, repeated: 'set', context: 1, implicit: true, optional: true })(SignerInfoFrame.prototype, 'unsignedAttrs');

class SignerInfoFrames extends AsnArray<SignerInfoFrame> {
  constructor(items?: SignerInfoFrame[]) {
    super(items);
    Object.setPrototypeOf(this, SignerInfoFrames.prototype);
  }
}
AsnType({ type: AsnTypeTypes.Set, itemType: SignerInfoFrame })(SignerInfoFrames);

/** asn1-cms SignedData, with each certificate kept as its exact encoding. */
class SignedDataFrame {
  version = 0;
  digestAlgorithms = new DigestAlgorithmIdentifiers();
  encapContentInfo = new EncapsulatedContentInfo();
  certificates?: AnySet;
  crls?: RevocationInfoChoices;
  signerInfos = new SignerInfoFrames();
}
AsnProp({ type: AsnPropTypes.Integer })(SignedDataFrame.prototype, 'version');
AsnProp({ type: DigestAlgorithmIdentifiers })(SignedDataFrame.prototype, 'digestAlgorithms');
AsnProp({ type: EncapsulatedContentInfo })(SignedDataFrame.prototype, 'encapContentInfo');
AsnProp({ type: AnySet, context: 0, implicit: true, optional: true })(SignedDataFrame.prototype, 'certificates');
AsnProp({ type: RevocationInfoChoices, context: 1, implicit: true, optional: true })(SignedDataFrame.prototype, 'crls');
AsnProp({ type: SignerInfoFrames })(SignedDataFrame.prototype, 'signerInfos');

/**
 * Parses `bytes` as exactly one `target`, in DER's definite-length form. asn1-schema decodes the
 * first element and ignores anything after it, so the bytes are first read as the content of a
 * SEQUENCE (the length header of an OCTET STRING around them, re-tagged) and must hold a single
 * element, whose lengths are all definite.
 */
function parseExactly<T>(bytes: Uint8Array, target: new () => T, what: string, inspect?: (node: DecodedNode) => void): T {
  const framed = new Uint8Array(AsnConvert.serialize(new OctetString(bytes)));
  framed[0] = 0x30;
  const elements = AsnConvert.parse(framed, DefiniteLengthSequence);
  if (elements.length === 0) throw new Error(`${what} is missing`);
  if (elements.length > 1) throw new Error(`trailing bytes after ${what}`);
  inspect?.(elements[0]!.node);
  return AsnConvert.parse(bytes, target);
}

/**
 * RFC 3161 §2.4.2: genTime is GeneralizedTime in UTC, "YYYYMMDDhhmmss[.s...]Z". asn1js would also
 * take local-time and offset forms (and mis-convert them), so the TSTInfo's GeneralizedTime
 * (its only one: genTime) must have that form.
 */
function checkGenTimeForm(tstInfo: DecodedNode): void {
  for (const child of childNodes(tstInfo)) {
    if (child.idBlock?.tagClass !== 1 || child.idBlock.tagNumber !== 24) continue;
    const text = new TextDecoder().decode(child.valueBlock?.valueHexView ?? new Uint8Array(0));
    if (!/^\d{14}(\.\d+)?Z$/.test(text)) throw new Error(`bad genTime ${JSON.stringify(text)}`);
  }
}

// ---- reading ----

export function parseTimeStampResponse(response: Uint8Array, request: TimeStampRequest, options: { tsaCertificate?: Uint8Array } = {}): TimeStampResult {
  let frame: TimeStampRespFrame;
  try {
    frame = parseExactly(response, TimeStampRespFrame, 'TimeStampResp');
  } catch (e) {
    throw bad(`not a TimeStampResp (${(e as Error).message})`, e);
  }
  const statusInfo = readStatus(frame.status);
  if (statusInfo.status !== 0 && statusInfo.status !== 1) {
    const name = STATUS_TEXT[statusInfo.status] ?? `status ${statusInfo.status}`;
    throw airsignError('TSA_REJECTED', `the TSA refused the request: ${name}${statusInfo.text ? ` (${statusInfo.text})` : ''}`, {
      details: { status: statusInfo.status, ...(statusInfo.text ? { statusText: statusInfo.text } : {}) },
    });
  }
  if (frame.timeStampToken === undefined) throw bad('the TSA granted the request but sent no token');
  const token = new Uint8Array(frame.timeStampToken);
  let parsed: ParsedToken;
  try {
    parsed = parseToken(token);
  } catch (e) {
    if (e instanceof Error && 'code' in e) throw e;
    throw bad(`the time-stamp token is malformed (${(e as Error).message})`, e);
  }
  if (parsed.hashOid !== HASH_OIDS[request.hash] || !bytesEqual(parsed.hashedMessage, request.hashedMessage)) {
    throw airsignError('TSA_IMPRINT_MISMATCH', 'the time-stamp token covers different data than the signature sent');
  }
  if (parsed.nonce !== request.nonce) {
    throw airsignError('TSA_NONCE_MISMATCH', 'the time-stamp token does not echo the request nonce');
  }
  if (options.tsaCertificate !== undefined) checkSignature(parsed, options.tsaCertificate);
  return {
    token: Uint8Array.from(token),
    genTime: parsed.genTime,
    serialNumber: parsed.serialNumber,
    policy: parsed.policy,
    certificates: parsed.certificates,
  };
}

export interface ParsedToken {
  hashOid: string;
  hashedMessage: Uint8Array;
  nonce: bigint | undefined;
  genTime: Date;
  /** TSTInfo accuracy in milliseconds (0 when absent). */
  accuracyMs: number;
  serialNumber: string;
  policy: string;
  certificates: Uint8Array[];
  eContent: Uint8Array;
  signerInfos: SignerInfoFrame[];
}

function readStatus(statusInfo: PKIStatusInfo): { status: number; text?: string } {
  const status = Number(statusInfo.status);
  const text = statusInfo.statusString === undefined ? undefined : statusInfo.statusString.join('; ').slice(0, 200);
  return text === undefined ? { status } : { status, text };
}

/** Parses a TimeStampToken (DER); throws TSA_BAD_RESPONSE when it is not a well-formed one. */
export function parseTimeStampToken(token: Uint8Array): ParsedToken {
  try {
    return parseToken(token);
  } catch (e) {
    throw bad(`the time-stamp token is malformed (${(e as Error).message})`, e);
  }
}

function parseToken(token: Uint8Array): ParsedToken {
  const contentInfo = AsnConvert.parse(token, TimeStampToken);
  if (contentInfo.contentType !== id_signedData) throw new Error(`content type ${contentInfo.contentType} is not signedData`);
  const signedData = AsnConvert.parse(contentInfo.content, SignedDataFrame);
  const encap = signedData.encapContentInfo;
  if (encap.eContentType !== id_ct_tstInfo) throw new Error(`eContentType ${encap.eContentType} is not id-ct-TSTInfo`);
  const eContentOctets = encap.eContent?.single;
  if (eContentOctets === undefined) throw new Error('eContent is missing or not an OCTET STRING');
  const eContent = new Uint8Array(eContentOctets.buffer, eContentOctets.byteOffset, eContentOctets.byteLength);
  const tstInfo = parseExactly(eContent, TSTInfo, 'TSTInfo', checkGenTimeForm);
  const genTime = tstInfo.genTime;
  if (!(genTime instanceof Date) || Number.isNaN(genTime.getTime())) throw new Error('bad genTime');
  return {
    hashOid: tstInfo.messageImprint.hashAlgorithm.algorithm,
    hashedMessage: octets(tstInfo.messageImprint.hashedMessage),
    nonce: tstInfo.nonce === undefined ? undefined : integerValue(tstInfo.nonce),
    genTime,
    accuracyMs: timeStampAccuracyMs(genTime, tstInfo.accuracy),
    serialNumber: integerValue(tstInfo.serialNumber).toString(16),
    policy: tstInfo.policy,
    certificates: (signedData.certificates ?? []).map((cert) => new Uint8Array(cert)),
    eContent: Uint8Array.from(eContent),
    signerInfos: [...signedData.signerInfos],
  };
}

/**
 * TSTInfo's accuracy in milliseconds (RFC 3161 2.4.2; absent: 0). Refused when genTime ± accuracy
 * leaves the range of a Date: an invalid Date compares false with everything and would pass every
 * validity-window check.
 */
export function timeStampAccuracyMs(genTime: Date, accuracy: { seconds?: number; millis?: number; micros?: number } | undefined): number {
  if (accuracy === undefined) return 0;
  const ms = (accuracy.seconds ?? 0) * 1000 + (accuracy.millis ?? 0) + Math.ceil((accuracy.micros ?? 0) / 1000);
  const inRange = (t: number) => !Number.isNaN(new Date(t).getTime());
  if (!Number.isSafeInteger(ms) || ms < 0 || !inRange(genTime.getTime() - ms) || !inRange(genTime.getTime() + ms)) {
    throw new Error('the accuracy is out of range');
  }
  return ms;
}

/** An INTEGER's content octets (two's complement, as asn1-schema hands them over) as a bigint. */
function integerValue(content: ArrayBuffer): bigint {
  return AsnIntegerBigIntConverter.fromASN(AsnIntegerArrayBufferConverter.toASN(content));
}

/** A copy of the bytes of an OCTET STRING, or of a raw encoding the parser handed over as a buffer or a view. */
export function octets(value: OctetString | ArrayBuffer | ArrayBufferView): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  return Uint8Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
}

export const DIGEST_NAMES: Record<string, string> = {
  [HASH_OIDS.sha256]: 'sha256',
  [HASH_OIDS.sha384]: 'sha384',
  [HASH_OIDS.sha512]: 'sha512',
  '1.3.14.3.2.26': 'sha1',
};

const TST_INFO_OID_DER = new Uint8Array(AsnObjectIdentifierConverter.toASN(id_ct_tstInfo).toBER(false));

/**
 * Checks the token's CMS signature with a TSA certificate the caller trusts: the signer's
 * messageDigest attribute must equal the hash of the TSTInfo and the signature over the signed
 * attributes must verify with that certificate's key.
 */
export function checkSignature(token: ParsedToken, tsaCertificate: Uint8Array): void {
  const fail = (why: string) => airsignError('TSA_BAD_SIGNATURE', `the time-stamp token does not verify with the given TSA certificate: ${why}`);
  let key;
  try {
    key = new X509Certificate(tsaCertificate).publicKey;
  } catch (e) {
    throw airsignError('TSA_BAD_CERTIFICATE', `the TSA certificate cannot be read: ${(e as Error).message}`, { cause: e });
  }
  for (const signerInfo of token.signerInfos) {
    try {
      const digestName = DIGEST_NAMES[signerInfo.digestAlgorithm.algorithm];
      const signedAttrs = signerInfo.signedAttrs;
      const signedAttrsRaw = signerInfo.signedAttrsRaw;
      if (digestName === undefined || signedAttrs === undefined || signedAttrsRaw === undefined) continue;
      let messageDigest: Uint8Array | undefined;
      let contentTypeOk = false;
      for (const attribute of signedAttrs) {
        const value = attribute.attrValues[0];
        if (value === undefined) throw new Error(`attribute ${attribute.attrType} has no value`);
        if (attribute.attrType === id_messageDigest) messageDigest = octets(AsnConvert.parse(value, OctetString));
        if (attribute.attrType === id_contentType) contentTypeOk = bytesEqual(new Uint8Array(value), TST_INFO_OID_DER);
      }
      if (!contentTypeOk) throw fail('the signed content type is not TSTInfo');
      const actual = createHash(digestName).update(token.eContent).digest();
      if (messageDigest === undefined || !bytesEqual(actual, messageDigest)) throw fail('messageDigest does not match the TSTInfo');
      // The signature covers the signed attributes as sent, re-tagged from [0] IMPLICIT to SET.
      const toVerify = octets(signedAttrsRaw);
      if (toVerify[0] !== 0xa0) throw new Error('signed attributes are not [0] IMPLICIT');
      toVerify[0] = 0x31;
      const signature = octets(signerInfo.signature);
      const ok = signerInfo.signatureAlgorithm.algorithm === '1.2.840.113549.1.1.10'
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
  return airsignError('TSA_BAD_RESPONSE', message, cause === undefined ? {} : { cause });
}
