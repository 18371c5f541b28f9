import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  children,
  decodeOne,
  encodeInteger,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  integerValue,
  oidValue,
  readElement,
} from '../../../src/timestamp/der.js';
import { createTimeStampRequest } from '../../../src/timestamp/time-stamp-request.js';
import { parseTimeStampResponse } from '../../../src/timestamp/time-stamp-response.js';

describe('minimal DER', () => {
  it.each(['1.2.840.113549.1.9.16.1.4', '2.16.840.1.101.3.4.2.1', '1.3.6.1.5.5.7.3.8', '2.999.1'])('round-trips OID %s', (oid) => {
    expect(oidValue(decodeOne(encodeOid(oid)))).toBe(oid);
  });

  it('encodes OIDs as openssl does', () => {
    const der = encodeOid('1.2.840.113549.1.9.16.1.4');
    const text = execFileSync('openssl', ['asn1parse', '-inform', 'DER'], { input: Buffer.from(der), encoding: 'utf8' });
    expect(text).toMatch(/OBJECT\s+:id-smime-ct-TSTInfo/);
  });

  it.each([0, 1, 127, 128, 255, 256, 65535, 2 ** 40])('round-trips INTEGER %d with minimal octets', (n) => {
    const der = encodeInteger(n);
    expect(integerValue(decodeOne(der))).toBe(BigInt(n));
    // No redundant leading zero unless the top bit needs it.
    expect(der[2] === 0 && der.length > 3 ? (der[3]! & 0x80) !== 0 : true).toBe(true);
  });

  it('reads long lengths and nested sequences', () => {
    const big = new Uint8Array(300).fill(7);
    const der = encodeSequence([encodeOctetString(big), encodeInteger(5)]);
    expect(der[1]).toBe(0x82);
    const [octets, five] = children(decodeOne(der));
    expect(octets!.content).toEqual(big);
    expect(integerValue(five!)).toBe(5n);
  });

  it.each([
    ['truncated', Uint8Array.of(0x30, 0x05, 0x02, 0x01)],
    ['indefinite length', Uint8Array.of(0x30, 0x80, 0x00, 0x00)],
    ['empty', new Uint8Array(0)],
  ])('rejects %s input', (_name, bytes) => {
    expect(() => readElement(bytes)).toThrow();
  });

  it('rejects trailing bytes', () => {
    expect(() => decodeOne(Uint8Array.of(0x05, 0x00, 0x00))).toThrow(/trailing/);
  });
});

describe('TimeStampResp parsing of hostile input', () => {
  const request = createTimeStampRequest('sha256', new Uint8Array(32));
  it.each([
    ['not DER', Uint8Array.of(1, 2, 3)],
    ['an empty SEQUENCE', Uint8Array.of(0x30, 0x00)],
    ['granted without a token', encodeSequence([encodeSequence([encodeInteger(0)])])],
    ['granted with a non-token', encodeSequence([encodeSequence([encodeInteger(0)]), encodeInteger(1)])],
  ])('%s → TSA_BAD_RESPONSE', (_name, bytes) => {
    expect(() => parseTimeStampResponse(bytes, request)).toThrow(expect.objectContaining({ code: 'TSA_BAD_RESPONSE', kind: 'input' }));
  });
  it('waiting status → TSA_REJECTED', () => {
    expect(() => parseTimeStampResponse(encodeSequence([encodeSequence([encodeInteger(3)])]), request))
      .toThrow(expect.objectContaining({ code: 'TSA_REJECTED', message: expect.stringContaining('waiting') }));
  });
});
