/**
 * selectedFormatRegistry (what `airsign sign` uses: only the named formats' code is loaded) must
 * offer the same formats, ids, order and options as defaultFormats(), and report a wrong --format
 * exactly as the default registry does.
 */
import { describe, expect, it } from 'vitest';
import { defaultFormatRegistry, defaultFormats } from '../../../src/formats/default-formats.js';
import { selectedFormatRegistry, SIGN_FORMAT_IDS } from '../../../src/formats/selected-formats.js';

describe('selectedFormatRegistry', () => {
  it('offers the ids of defaultFormats(), in the same order', () => {
    expect(SIGN_FORMAT_IDS).toEqual(defaultFormats().map((f) => f.id));
  });

  it('holds just the formats named, each the one defaultFormats() makes with the same options', async () => {
    const options = { notationManifest: 'oci-1.1' as const, gpg: { lookaside: '/tmp/lookaside' } };
    const all = defaultFormats(options);
    for (const id of SIGN_FORMAT_IDS) {
      const registry = await selectedFormatRegistry([id], options);
      expect(registry.ids()).toEqual([id]);
      const format = registry.get(id);
      const expected = all.find((f) => f.id === id)!;
      // Same kind of format: the same set of members, and the same option-dependent behaviour.
      expect(Object.keys(format).sort()).toEqual(Object.keys(expected).sort());
      expect(format.needsIdentity).toBe(expected.needsIdentity);
    }
    const two = await selectedFormatRegistry(['gpg', 'notation', 'gpg'], options);
    expect(two.ids()).toEqual(['notation', 'gpg']);
    expect(two.select(['gpg', 'notation']).map((f) => f.id)).toEqual(['gpg', 'notation']);
  });

  it('reports an unknown or missing --format with every known id, as the default registry does', async () => {
    for (const ids of [['notation', 'pgp'], []]) {
      const selected = await selectedFormatRegistry(ids);
      expect(() => selected.select(ids)).toThrow(errorOf(() => defaultFormatRegistry().select(ids)));
    }
  });
});

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a throw');
}
