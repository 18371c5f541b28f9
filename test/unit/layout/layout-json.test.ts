/**
 * parseLayoutJson refuses JSON that Go's encoding/json (what oras, skopeo and notation decode
 * layouts with) would read differently from JSON.parse: case-variant field names, which Go matches
 * case-insensitively (with K and ſ folding into k and s), and a byte-order mark.
 */
import { describe, expect, it } from 'vitest';
import { parseLayoutJson } from '../../../src/layout/layout-json.js';
import { parseImageIndex } from '../../../src/layout/image-index.js';

const enc = (s: string) => new TextEncoder().encode(s);
const desc = (tag: string) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${tag.repeat(64).slice(0, 64)}`, size: 2 });

describe('parseLayoutJson and Go encoding/json', () => {
  it.each([
    ['a second "manifests" in capitals (Go takes the last)', `{"schemaVersion":2,"manifests":[${JSON.stringify(desc('a'))}],"MANIFESTS":[${JSON.stringify(desc('e'))}]}`],
    ['"Annotations" on a descriptor (Go sees the tag)', `{"schemaVersion":2,"manifests":[${JSON.stringify({ ...desc('a'), Annotations: { 'org.opencontainers.image.ref.name': 'v1' } })}]}`],
    ['a long-s "ſize"', `{"schemaVersion":2,"manifests":[${JSON.stringify({ ...desc('a'), 'ſize': 3 })}]}`],
    ['a platform with "os.Version"', `{"schemaVersion":2,"manifests":[${JSON.stringify({ ...desc('a'), platform: { os: 'linux', architecture: 'amd64', 'os.Version': '1' } })}]}`],
    ['"SchemaVersion"', `{"SchemaVersion":2,"schemaVersion":2,"manifests":[]}`],
  ])('refuses %s', (_label, text) => {
    expect(() => parseImageIndex(enc(text), 'index.json')).toThrow(expect.objectContaining({ code: 'LAYOUT_BAD_JSON', message: expect.stringMatching(/Go's JSON decoder/) }));
  });

  it('refuses a byte-order mark (Go rejects it; TextDecoder would strip it)', () => {
    expect(() => parseLayoutJson(enc('\ufeff{"schemaVersion":2}'), 'index.json')).toThrow(expect.objectContaining({ code: 'LAYOUT_BAD_JSON' }));
  });

  it('keeps annotation keys exact (they are map keys in Go) and accepts ordinary documents', () => {
    const index = parseImageIndex(enc(JSON.stringify({ schemaVersion: 2, manifests: [{ ...desc('a'), annotations: { Size: 'x', 'org.opencontainers.image.ref.name': 'v1' } }] })));
    expect(index.manifests[0]!.annotations).toEqual({ Size: 'x', 'org.opencontainers.image.ref.name': 'v1' });
  });
});
