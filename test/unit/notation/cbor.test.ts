import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CborTag, decodeCbor, encodeCbor, type CborValue } from '../../../src/formats/cbor.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const conformance = JSON.parse(readFileSync(new URL('../../fixtures/notation/notation-core/cose-conformance.json', import.meta.url), 'utf8')) as {
  protectedHeaders: { cborHex: string };
  unprotectedHeaders: { cborHex: string };
  expectedOutput: { cborHex: string };
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('CBOR encoder (Core Deterministic Encoding)', () => {
  it('writes the smallest integer and length forms (RFC 8949 Appendix A values)', () => {
    const cases: [CborValue, string][] = [
      [0, '00'], [23, '17'], [24, '1818'], [255, '18ff'], [256, '190100'], [65535, '19ffff'], [65536, '1a00010000'],
      [4294967296, '1b0000000100000000'], [-1, '20'], [-24, '37'], [-25, '3818'], [-37, '3824'], [-39, '3826'],
      [18446744073709551615n, '1bffffffffffffffff'], [-18446744073709551616n, '3bffffffffffffffff'],
      ['', '60'], ['a', '6161'], ['\u00fc', '62c3bc'], [new Uint8Array([1, 2]), '420102'], [[], '80'], [[1, [2, 3]], '8201820203'],
      [true, 'f5'], [false, 'f4'], [null, 'f6'], [new CborTag(1, 1363896240), 'c11a514b67b0'],
    ];
    for (const [value, expected] of cases) expect(hex(encodeCbor(value)), inspect(value)).toBe(expected);
  });

  it('sorts map keys by their encoded bytes, whatever the insertion order', () => {
    const map = new Map<CborValue, CborValue>([['bb', 1], [100, 2], ['a', 3], [-1, 4], [1, 5]]);
    // 01 < 1864 (100) < 20 (-1) < 6161 ("a") < 626262 ("bb")
    expect(hex(encodeCbor(map))).toBe('a5' + '0105' + '186402' + '2004' + '616103' + '62626201');
    expect(hex(encodeCbor({ z: 1, aa: 2 }))).toBe(hex(encodeCbor(new Map<CborValue, CborValue>([['aa', 2], ['z', 1]]))));
  });

  it('re-encodes notation-core-go conformance headers byte for byte (text labels ordered by length, then bytes)', () => {
    for (const h of [conformance.protectedHeaders.cborHex, conformance.unprotectedHeaders.cborHex, conformance.expectedOutput.cborHex]) {
      const decoded = decodeCbor(fromHex(h));
      expect(hex(encodeCbor(decoded)).toUpperCase()).toBe(h.toUpperCase());
    }
  });

  it('refuses values that have no deterministic encoding here', () => {
    expect(codeOf(() => encodeCbor(1.5))).toBe('CBOR_UNENCODABLE');
    expect(codeOf(() => encodeCbor(2n ** 64n))).toBe('CBOR_UNENCODABLE');
  });
});

describe('CBOR decoder', () => {
  it('decodes maps as Map keeping integer and text labels apart, and tags as CborTag', () => {
    const value = decodeCbor(fromHex('a20102616102')) as Map<CborValue, CborValue>;
    expect(value.get(1)).toBe(2);
    expect(value.get('a')).toBe(2);
    const tag = decodeCbor(fromHex('d28440a0f6f6')) as CborTag;
    expect(tag.tag).toBe(18);
    expect(Array.isArray(tag.value)).toBe(true);
  });

  it('decodes floats and large integers', () => {
    expect(decodeCbor(fromHex('f93c00'))).toBe(1);
    expect(decodeCbor(fromHex('fb3ff199999999999a'))).toBe(1.1);
    expect(decodeCbor(fromHex('1bffffffffffffffff'))).toBe(18446744073709551615n);
  });

  it.each([
    ['truncated', '1a0001'],
    ['trailing bytes', '0000'],
    ['indefinite-length array', '9f01ff'],
    ['byte string longer than the data', '5a00010000'],
    ['array count beyond the data', '9affffffff'],
    ['duplicate map key', 'a201010102'],
    ['invalid UTF-8', '62c328'],
    ['reserved additional information', '1c'],
    ['empty input', ''],
  ])('rejects %s', (_name, input) => {
    expect(codeOf(() => decodeCbor(fromHex(input)))).toBe('CBOR_MALFORMED');
  });

  it('rejects absurd nesting without overflowing the stack', () => {
    expect(codeOf(() => decodeCbor(new Uint8Array(100_000).fill(0x81)))).toBe('CBOR_MALFORMED');
  });
});
