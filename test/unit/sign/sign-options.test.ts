import { describe, expect, it } from 'vitest';
import { parseAnnotations, parseExpiry, parseNotationManifest } from '../../../src/operations/sign-options.js';
import { createFormatRegistry } from '../../../src/formats/registry.js';
import type { SignatureFormat } from '../../../src/formats/signature-format.js';
import { formatRfc3339 } from '../../../src/rfc3339.js';

const t0 = new Date('2026-01-02T03:04:05.678Z');

describe('parseExpiry', () => {
  it.each([
    ['30d', '2026-02-01T03:04:05Z'],
    ['12h', '2026-01-02T15:04:05Z'],
    ['1h30m', '2026-01-02T04:34:05Z'],
    ['2w', '2026-01-16T03:04:05Z'],
    ['90s', '2026-01-02T03:05:35Z'],
    ['2026-06-01T00:00:00Z', '2026-06-01T00:00:00Z'],
    ['2026-06-01T02:00:00+02:00', '2026-06-01T00:00:00Z'],
  ])('%s → %s', (input, expected) => {
    expect(formatRfc3339(parseExpiry(input, t0))).toBe(expected);
  });

  it.each(['', '30', 'd30', '30x', 'tomorrow', '2026-06-01', '2020-01-01T00:00:00Z', '0s', '99999999999d'])('refuses %j', (input) => {
    expect(() => parseExpiry(input, t0)).toThrow(expect.objectContaining({ code: 'SIGN_BAD_EXPIRY', kind: 'input' }));
  });
});

describe('parseAnnotations', () => {
  it('splits at the first =', () => {
    expect(parseAnnotations(['a=b', 'io.x=y=z', 'empty='])).toEqual({ a: 'b', 'io.x': 'y=z', empty: '' });
    expect(parseAnnotations(undefined)).toEqual({});
  });
  it.each([['noequals'], ['=v'], ['a=1', 'a=2']])('refuses %j', (...values) => {
    expect(() => parseAnnotations(values)).toThrow(expect.objectContaining({ code: 'SIGN_BAD_ANNOTATION' }));
  });
});

describe('parseNotationManifest', () => {
  it('defaults to legacy and refuses others', () => {
    expect(parseNotationManifest(undefined)).toBe('legacy');
    expect(parseNotationManifest('oci-1.1')).toBe('oci-1.1');
    expect(() => parseNotationManifest('v2')).toThrow(expect.objectContaining({ code: 'SIGN_BAD_OPTION' }));
  });
});

describe('format registry', () => {
  const fake = (id: string): SignatureFormat => ({
    id,
    describe: id,
    check: async () => {},
    sign: async () => ({ blobs: [], indexEntries: [], records: [] }),
  });
  const a = fake('a');
  const b = fake('b');
  const registry = createFormatRegistry([a, b]);

  it('selects in order and drops duplicates', () => {
    expect(registry.ids()).toEqual(['a', 'b']);
    expect(registry.select(['b', 'a', 'b'])).toEqual([b, a]);
  });
  it('refuses unknown and missing formats with the known list', () => {
    expect(() => registry.select(['c'])).toThrow(expect.objectContaining({ code: 'SIGN_UNKNOWN_FORMAT', message: expect.stringContaining('known: a, b') }));
    expect(() => registry.select([])).toThrow(expect.objectContaining({ code: 'SIGN_NO_FORMAT', kind: 'input' }));
  });
  it('refuses a duplicate registration', () => {
    expect(() => createFormatRegistry([a, fake('a')])).toThrow(expect.objectContaining({ code: 'FORMAT_DUPLICATE' }));
  });
});
