import { createHash } from 'node:crypto';
import {
  ContentInfo,
  DigestAlgorithmIdentifier,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  id_signedData,
  SignedData,
  SignerInfos,
} from '@peculiar/asn1-cms';
import { AsnConvert, AsnIntegerArrayBufferConverter, AsnIntegerBigIntConverter, OctetString } from '@peculiar/asn1-schema';
import { id_ct_tstInfo, MessageImprint, PKIStatusInfo, TimeStampResp, TimeStampToken, TSTInfo } from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { createTimeStampRequest } from '../../../src/timestamp/time-stamp-request.js';
import { parseTimeStampResponse } from '../../../src/timestamp/time-stamp-response.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));

describe('TimeStampReq encoding', () => {
  // Expected DER as the previous hand-written encoder produced it (and openssl ts -query reads it,
  // see the integration test): minimal INTEGERs, a 0 octet before a nonce whose top bit is set,
  // NULL hash parameters, certReq TRUE.
  const vectors: Array<[string, 'sha256' | 'sha384' | 'sha512', number[], string, bigint]> = [
    ['top bit set', 'sha384', [0x81, 2, 3, 4],
      '30500201013041300d060960864801650304020205000430d752c2c51fba0e29aa190570a9d4253e44077a058d3297fa3a5630d5bd012622f97c28acaed313b5c83bb990caa7da85020500810203040101ff',
      0x81020304n],
    ['leading zero octets dropped', 'sha256', [0, 0, 0x7f, 1],
      '303d0201013031300d0609608648016503040201050004202d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a488102027f010101ff',
      0x7f01n],
    ['zero', 'sha512', [0],
      '305c0201013051300d060960864801650304020305000440a4abd4448c49562d828115d13a1fccea927f52b4d5459297f8b43e42da89238bc13626e43dcb38ddb082488927ec904fb42057443983e88585179d50551afe620201000101ff',
      0n],
    ['a zero octet then the top bit', 'sha256', [0, 0x80, 1, 2, 3, 4, 5, 6],
      '30430201013031300d0609608648016503040201050004202d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881020800800102030405060101ff',
      0x80010203040506n],
    ['all ones', 'sha256', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
      '30440201013031300d0609608648016503040201050004202d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881020900ffffffffffffffff0101ff',
      0xffffffffffffffffn],
  ];
  it.each(vectors)('nonce %s: exact DER and nonce value', (_name, hash, nonce, der, value) => {
    const request = createTimeStampRequest(hash, createHash(hash).update('x').digest(), { nonce: Uint8Array.from(nonce) });
    expect(hex(request.der)).toBe(der);
    expect(request.nonce).toBe(value);
  });

  it('a random 8-octet nonce by default, different each time', () => {
    const digest = new Uint8Array(32);
    const a = createTimeStampRequest('sha256', digest);
    const b = createTimeStampRequest('sha256', digest);
    expect(a.nonce).not.toBe(b.nonce);
    expect(a.nonce < 1n << 64n).toBe(true);
  });

  it('refuses a digest of the wrong length', () => {
    expect(() => createTimeStampRequest('sha384', new Uint8Array(32))).toThrow(/48 bytes, got 32/);
  });

  it('hash AlgorithmIdentifiers carry NULL parameters', () => {
    // In the request's messageImprint: SEQUENCE { OID, NULL }.
    expect(hex(createTimeStampRequest('sha256', new Uint8Array(32)).der)).toContain('300d06096086480165030402010500');
    expect(hex(createTimeStampRequest('sha512', new Uint8Array(64)).der)).toContain('300d06096086480165030402030500');
  });
});

describe('TimeStampResp parsing of hostile input', () => {
  const request = createTimeStampRequest('sha256', new Uint8Array(32));
  it.each([
    ['not DER', Uint8Array.of(1, 2, 3)],
    ['empty input', new Uint8Array(0)],
    ['an empty SEQUENCE', fromHex('3000')],
    ['a truncated SEQUENCE', fromHex('30063003020100')],
    ['granted without a token', fromHex('30053003020100')],
    ['granted with a non-token', fromHex('30083003020100020101')],
    ['granted with a token that is not SignedData', fromHex('301130030201003000a0003003020100')],
    ['a status followed by trailing bytes', fromHex('300530030201030500')],
    ['two responses back to back', fromHex('3005300302010330053003020103')],
    // DER only: BER's indefinite lengths are refused, at the top or inside.
    ['an indefinite-length TimeStampResp', fromHex('308030030201020000')],
    ['an indefinite-length PKIStatusInfo', fromHex('300730800201020000')],
  ])('%s → TSA_BAD_RESPONSE', (_name, bytes) => {
    expect(() => parseTimeStampResponse(bytes, request)).toThrow(expect.objectContaining({ code: 'TSA_BAD_RESPONSE', kind: 'input' }));
  });

  it('waiting status → TSA_REJECTED', () => {
    expect(() => parseTimeStampResponse(fromHex('30053003020103'), request))
      .toThrow(expect.objectContaining({ code: 'TSA_REJECTED', message: expect.stringContaining('waiting') }));
  });

  it('a rejection with status text → TSA_REJECTED with the text', () => {
    const text = Buffer.from('policy says no').toString('hex');
    // TimeStampResp { PKIStatusInfo { rejection(2), statusString { UTF8String } } }
    const der = fromHex(`3017301502010230100c0e${text}`);
    expect(() => parseTimeStampResponse(der, request)).toThrow(expect.objectContaining({
      code: 'TSA_REJECTED',
      message: 'the TSA refused the request: rejection (policy says no)',
      details: { status: 2, statusText: 'policy says no' },
    }));
  });

  it('an unknown status number → TSA_REJECTED naming it', () => {
    expect(() => parseTimeStampResponse(fromHex('30053003020109'), request))
      .toThrow(expect.objectContaining({ code: 'TSA_REJECTED', message: 'the TSA refused the request: status 9' }));
  });

  it('the status is read before the token: a rejection with a malformed token field is still TSA_REJECTED', () => {
    expect(() => parseTimeStampResponse(fromHex('300a30030201020403010203'), request))
      .toThrow(expect.objectContaining({ code: 'TSA_REJECTED' }));
  });
});

describe('TimeStampResp parsing of granted responses (unsigned tokens built with the ASN.1 library)', () => {
  const SHA256 = '2.16.840.1.101.3.4.2.1';
  const request = createTimeStampRequest('sha256', createHash('sha256').update('data').digest(), { nonce: Uint8Array.of(0x81, 2, 3, 4) });
  const integer = (n: bigint) => AsnIntegerArrayBufferConverter.fromASN(AsnIntegerBigIntConverter.toASN(n));

  function grantedResponse(options: { hashedMessage?: Uint8Array; nonce?: bigint | null; genTime?: Date; eContentType?: string; contentType?: string } = {}) {
    const tstInfo = new TSTInfo({
      policy: '1.2.3.4.1',
      messageImprint: new MessageImprint({
        hashAlgorithm: new AlgorithmIdentifier({ algorithm: SHA256, parameters: null }),
        hashedMessage: new OctetString(options.hashedMessage ?? request.hashedMessage),
      }),
      serialNumber: integer(0x1234n),
      genTime: options.genTime ?? new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 500)),
      ...(options.nonce === null ? {} : { nonce: integer(options.nonce ?? request.nonce) }),
    });
    const signedData = new SignedData({
      version: 3,
      digestAlgorithms: new DigestAlgorithmIdentifiers([new DigestAlgorithmIdentifier({ algorithm: SHA256, parameters: null })]),
      encapContentInfo: new EncapsulatedContentInfo({
        eContentType: options.eContentType ?? id_ct_tstInfo,
        eContent: new EncapsulatedContent({ single: new OctetString(AsnConvert.serialize(tstInfo)) }),
      }),
      signerInfos: new SignerInfos(),
    });
    const token = new TimeStampToken({ contentType: options.contentType ?? id_signedData, content: AsnConvert.serialize(signedData) });
    const response = new Uint8Array(AsnConvert.serialize(new TimeStampResp({ status: new PKIStatusInfo({ status: 0 }), timeStampToken: token })));
    return { response, token: new Uint8Array(AsnConvert.serialize(new ContentInfo(token))) };
  }

  it('reads the TSTInfo fields and returns the token bytes', () => {
    const { response, token } = grantedResponse();
    const result = parseTimeStampResponse(response, request);
    expect(hex(result.token)).toBe(hex(token));
    expect(result.genTime.toISOString()).toBe('2026-01-02T03:04:05.500Z');
    expect(result.serialNumber).toBe('1234');
    expect(result.policy).toBe('1.2.3.4.1');
    expect(result.certificates).toEqual([]);
  });

  it('refuses another imprint, another or no nonce', () => {
    expect(() => parseTimeStampResponse(grantedResponse({ hashedMessage: new Uint8Array(32) }).response, request))
      .toThrow(expect.objectContaining({ code: 'TSA_IMPRINT_MISMATCH', kind: 'input' }));
    expect(() => parseTimeStampResponse(grantedResponse({ nonce: request.nonce + 1n }).response, request))
      .toThrow(expect.objectContaining({ code: 'TSA_NONCE_MISMATCH', kind: 'input' }));
    // The same octets read as a negative INTEGER are not our nonce.
    expect(() => parseTimeStampResponse(grantedResponse({ nonce: request.nonce - (1n << 32n) }).response, request))
      .toThrow(expect.objectContaining({ code: 'TSA_NONCE_MISMATCH' }));
    expect(() => parseTimeStampResponse(grantedResponse({ nonce: null }).response, request))
      .toThrow(expect.objectContaining({ code: 'TSA_NONCE_MISMATCH' }));
  });

  it('refuses a token that is not SignedData over a TSTInfo', () => {
    expect(() => parseTimeStampResponse(grantedResponse({ contentType: '1.2.840.113549.1.7.1' }).response, request))
      .toThrow(expect.objectContaining({ code: 'TSA_BAD_RESPONSE', message: expect.stringContaining('is not signedData') }));
    expect(() => parseTimeStampResponse(grantedResponse({ eContentType: '1.2.840.113549.1.7.1' }).response, request))
      .toThrow(expect.objectContaining({ code: 'TSA_BAD_RESPONSE', message: expect.stringContaining('is not id-ct-TSTInfo') }));
  });

  it('takes genTime only in UTC form (YYYYMMDDhhmmss[.f]Z)', () => {
    const { response } = grantedResponse();
    const utc = Buffer.from('20260102030405.5Z');
    const at = Buffer.from(response).indexOf(utc);
    expect(at).toBeGreaterThan(0);
    // Same length, no Z: a local time, which RFC 3161 does not allow.
    const local = Uint8Array.from(response);
    local.set(Buffer.from('20260102030405.50'), at);
    expect(() => parseTimeStampResponse(local, request))
      .toThrow(expect.objectContaining({ code: 'TSA_BAD_RESPONSE', message: expect.stringContaining('bad genTime') }));
  });
});
