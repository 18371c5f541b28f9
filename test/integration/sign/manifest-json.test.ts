/**
 * The strict reader of manifests about to be signed (src/layout/manifest-json.ts) against Go's
 * encoding/json (test/peers/go-manifest-read, the decoding oras-go, containers/image and
 * notation-go do): every mutated real manifest or index it accepts, Go accepts and reads exactly as
 * JSON.parse does (config, layers, manifests, subject, platforms, annotations, data); the documents
 * the two read differently (repeated keys, keys equal but for case, Kelvin/long-s spellings, lone
 * surrogates, 1e3 sizes) are refused. Also the fixed hostile cases of issue 16 and the
 * classification `sign --recursive` makes of an index's children.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Descriptor } from '../../../src/descriptor.js';
import { isAirsignError } from '../../../src/errors.js';
import { checkManifestBytes } from '../../../src/layout/manifest-json.js';
import { classifyChild } from '../../../src/operations/sign-targets.js';
import { FuzzSuite, jsonEdit, mutateJson, oddJsonValue, RawJson, utf8 } from '../../helpers/fuzz.js';
import { goManifestViews, readerView } from '../../helpers/go-manifest.js';
import { buildRichLayout } from '../../helpers/layout-builder.js';
import { tempDir } from '../../helpers/temp-dir.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const CONFIG = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'c'.repeat(64)}`, size: 10 };
const LAYER = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'d'.repeat(64)}`, size: 20 };

const work = tempDir('airsign-manifest-json-');

const suite = new FuzzSuite('manifest-json');
const started = Date.now();
afterAll(() => {
  suite.finish(started);
});

function codeOf(run: () => unknown): string {
  try {
    run();
    return 'accepted';
  } catch (error) {
    if (!isAirsignError(error)) throw error;
    return error.code;
  }
}

describe('fixed cases', () => {
  const head = `"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","config":${JSON.stringify(CONFIG)}`;
  const cases: Array<[string, string, string, string?]> = [
    ['a plain manifest', `{${head},"layers":[${JSON.stringify(LAYER)}]}`, 'accepted'],
    ['not JSON', `{${head},"layers":[],}`, 'LAYOUT_BAD_JSON'],
    ['a byte-order mark', `\ufeff{${head},"layers":[]}`, 'LAYOUT_BAD_JSON'],
    ['100,000 deep', `{${head},"layers":[],"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, 'LAYOUT_JSON_TOO_DEEP'],
    ['layers and Layers', `{${head},"layers":[],"Layers":[${JSON.stringify(LAYER)}]}`, 'LAYOUT_BAD_JSON'],
    ['layers twice', `{${head},"layers":[],"layers":[${JSON.stringify(LAYER)}]}`, 'LAYOUT_BAD_MANIFEST'],
    ['config twice (Go merges the two objects)', `{${head},"config":{"digest":"${LAYER.digest}"},"layers":[]}`, 'LAYOUT_BAD_MANIFEST'],
    ['an annotation key twice', `{${head},"layers":[],"annotations":{"a":"1","a":"2"}}`, 'LAYOUT_BAD_MANIFEST'],
    ['annotation keys equal but for case (a map: fine)', `{${head},"layers":[],"annotations":{"a":"1","A":"2"}}`, 'accepted'],
    ['unknown keys equal but for case', `{${head},"layers":[],"note":1,"NOTE":2}`, 'LAYOUT_BAD_MANIFEST'],
    ['a Kelvin-sign key', `{${head},"layers":[],"\u212aey":1,"key":2}`, 'LAYOUT_BAD_MANIFEST'],
    ['a lone surrogate', `{${head},"layers":[],"annotations":{"a":"\\ud800"}}`, 'LAYOUT_BAD_MANIFEST'],
    ['size 1e1', `{${head.replace('"size":10', '"size":1e1')},"layers":[]}`, 'LAYOUT_BAD_MANIFEST'],
    ['size -0', `{${head.replace('"size":10', '"size":-0')},"layers":[]}`, 'LAYOUT_BAD_MANIFEST'],
    ['schemaVersion 2.0', `{${head.replace('"schemaVersion":2', '"schemaVersion":2.0')},"layers":[]}`, 'LAYOUT_BAD_MANIFEST'],
    ['data that is not base64', `{${head.replace('"size":10', '"size":10,"data":"e30"')},"layers":[]}`, 'LAYOUT_BAD_DESCRIPTOR'],
    ['a platform that is a string', `{${head.replace('"size":10', '"size":10,"platform":"linux"')},"layers":[]}`, 'LAYOUT_BAD_DESCRIPTOR'],
    ['mediaType that contradicts the descriptor', `{${head.replace(OCI_MANIFEST, OCI_INDEX)},"layers":[]}`, 'LAYOUT_BAD_MANIFEST'],
    ['no mediaType under a Docker descriptor', `{"schemaVersion":2,"config":${JSON.stringify(CONFIG)},"layers":[]}`, 'LAYOUT_BAD_MANIFEST', 'application/vnd.docker.distribution.manifest.v2+json'],
    ['an index under a manifest descriptor', '{"schemaVersion":2,"manifests":[]}', 'LAYOUT_BAD_MANIFEST'],
    ['a manifest under an index descriptor', `{"schemaVersion":2,"config":${JSON.stringify(CONFIG)},"layers":[]}`, 'LAYOUT_BAD_MANIFEST', OCI_INDEX],
    ['schemaVersion 1', `{${head.replace('"schemaVersion":2', '"schemaVersion":1')},"layers":[]}`, 'LAYOUT_BAD_MANIFEST'],
    ['a config blob', '{"architecture":"amd64","os":"linux"}', 'LAYOUT_BAD_MANIFEST'],
  ];
  for (const [what, text, code, mediaType] of cases) {
    it(`${what}: ${code}`, () => {
      expect(codeOf(() => checkManifestBytes(utf8(text), mediaType ?? OCI_MANIFEST, 'manifest'))).toBe(code);
    });
  }

  it('the ambiguous ones are real: Go reads them differently from JSON.parse', () => {
    const ambiguous = cases.filter(([what]) => /Layers|config twice|surrogate|1e1|2\.0/.test(what));
    const views = goManifestViews(ambiguous.map(([, text]) => ({ kind: 'manifest', bytes: utf8(text) })));
    ambiguous.forEach(([what, text], i) => {
      const go = views[i] as { error?: string };
      const js = readerView('manifest', JSON.parse(text));
      // Go refuses it, or sees another document (the Kelvin-sign key and the note keys are not fields: not compared).
      if (go.error === undefined && !/Kelvin/.test(what)) expect(readerView('manifest', go), what).not.toEqual(js);
    });
  });
});

describe('differential against Go', () => {
  it('every mutated real manifest or index airsign accepts, Go reads the same way; what they read differently is refused', () => {
    const rich = buildRichLayout(join(work, 'rich'), { layerSize: 16 });
    const blobDir = join(rich.builder.dir, 'blobs', 'sha256');
    const docs: Array<{ mediaType: string; kind: 'index' | 'manifest'; value: unknown }> = [];
    for (const name of readdirSync(blobDir)) {
      try {
        const value = JSON.parse(readFileSync(join(blobDir, name), 'utf8')) as Record<string, unknown>;
        if (Array.isArray(value.layers)) docs.push({ mediaType: OCI_MANIFEST, kind: 'manifest', value });
        if (Array.isArray(value.manifests)) docs.push({ mediaType: OCI_INDEX, kind: 'index', value });
      } catch {
        // a layer
      }
    }
    expect(docs.length).toBeGreaterThan(4);
    const goOdd = fc.constantFrom<unknown>(new RawJson('2.0'), new RawJson('1e1'), new RawJson('10.0'), new RawJson('"\\udc00"'), 'e30=', 'e30', 'QR==', new RawJson('"\\u004cayers"'),
      { architecture: 'amd64', os: 'linux' }, { architecture: 1 }, ['a'], [1], 'Layers', 'ſize', '\u212a');
    const edit = fc.record({ path: fc.array(fc.nat(), { maxLength: 6 }), op: jsonEdit.map((e) => e.op), value: fc.oneof(oddJsonValue, goOdd), pick: fc.nat() });
    const cases = fc.sample(fc.tuple(fc.nat(), fc.array(edit, { minLength: 0, maxLength: 3 })), { numRuns: 4000, seed: suite.seed });
    const inputs = cases.map(([which, edits]) => {
      const doc = docs[which % docs.length]!;
      return { doc, bytes: utf8(edits.length === 0 ? JSON.stringify(doc.value) : mutateJson(doc.value, edits)) };
    });
    const views = goManifestViews(inputs.map((input) => ({ kind: input.doc.kind, bytes: input.bytes })));
    let agreed = 0;
    let refusedDisagreements = 0;
    for (const [i, { doc, bytes }] of inputs.entries()) {
      suite.counts['manifest-vs-go'] = (suite.counts['manifest-vs-go'] ?? 0) + 1;
      const go = views[i] as { error?: string };
      let accepted = true;
      try {
        checkManifestBytes(bytes, doc.mediaType, 'fuzz');
      } catch (error) {
        if (!isAirsignError(error)) throw new Error(`crash on ${Buffer.from(bytes).toString()}`, { cause: error });
        accepted = false;
      }
      let jsView: unknown;
      try {
        jsView = readerView(doc.kind, JSON.parse(Buffer.from(bytes).toString('utf8')));
      } catch {
        jsView = undefined;
      }
      if (accepted) {
        suite.accepted['manifest-vs-go'] = (suite.accepted['manifest-vs-go'] ?? 0) + 1;
        expect(go.error, `Go refuses what airsign accepted: ${Buffer.from(bytes).toString()}`).toBeUndefined();
        expect(readerView(doc.kind, go), Buffer.from(bytes).toString()).toEqual(jsView);
        agreed++;
      } else if (go.error === undefined && jsView !== undefined && JSON.stringify(readerView(doc.kind, go)) !== JSON.stringify(jsView)) {
        refusedDisagreements++;
      }
    }
    console.log(`manifest-json vs Go: ${inputs.length} documents, ${agreed} accepted and read identically by Go, ${refusedDisagreements} that Go and JSON.parse read differently refused (seed ${suite.seed})`);
    expect(agreed).toBeGreaterThan(100);
    expect(refusedDisagreements).toBeGreaterThan(0);
  });
});

describe('what --recursive makes of an index child', () => {
  const manifest = (value: Record<string, unknown>) => checkManifestBytes(utf8(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, ...value })), OCI_MANIFEST, 'child');
  const child = (extra: Partial<Descriptor> = {}): Descriptor => ({ mediaType: OCI_MANIFEST, digest: `sha256:${'e'.repeat(64)}`, size: 1, ...extra });
  const intoto = { ...LAYER, mediaType: 'application/vnd.in-toto+json' };
  const empty = { mediaType: 'application/vnd.oci.empty.v1+json', digest: `sha256:${'4'.repeat(64)}`, size: 2 };

  it('by content, not by the descriptor alone', () => {
    expect(classifyChild(child(), manifest({ config: CONFIG, layers: [LAYER] })).kind).toBe('platform-image');
    expect(classifyChild(child(), manifest({ config: CONFIG, layers: [] })).kind).toBe('platform-image');
    expect(classifyChild(child(), manifest({ config: CONFIG, layers: [intoto] }))).toEqual({ kind: 'attestation', why: 'an attestation manifest (by its in-toto layers)' });
    expect(classifyChild(child(), manifest({ artifactType: 'application/vnd.docker.attestation.manifest.v1+json', config: empty, layers: [LAYER] })).kind).toBe('attestation');
    expect(classifyChild(child({ annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } }), manifest({ config: CONFIG, layers: [LAYER] })).why).toMatch(/though its content is a platform image/);
    expect(classifyChild(child(), manifest({ config: { ...CONFIG, mediaType: 'application/vnd.oci.image.config.v1+json' }, layers: [{ ...LAYER, mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json' }] })).kind).toBe('referrer');
    expect(classifyChild(child(), manifest({ artifactType: 'application/vnd.cncf.notary.signature', config: empty, layers: [LAYER], subject: CONFIG })).why).toBe(`a signature manifest of ${CONFIG.digest}`);
    expect(classifyChild(child(), manifest({ artifactType: 'application/spdx+json', config: empty, layers: [LAYER], subject: CONFIG })).kind).toBe('referrer');
    expect(classifyChild(child(), manifest({ config: CONFIG, layers: [LAYER], subject: CONFIG })).kind).toBe('referrer');
    expect(classifyChild(child(), manifest({ artifactType: 'application/vnd.example.sbom', config: empty, layers: [LAYER] })).kind).toBe('other');
    expect(classifyChild(child(), manifest({ config: { ...CONFIG, mediaType: 'application/vnd.example.config' }, layers: [LAYER] })).kind).toBe('other');
    expect(classifyChild(child(), manifest({ config: CONFIG, layers: [{ ...LAYER, mediaType: 'application/octet-stream' }] })).why).toBe('not a platform image (a layer of media type application/octet-stream)');
  });
});
