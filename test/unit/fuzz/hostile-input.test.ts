/**
 * Property/mutation fuzzing of everything that parses input we did not write (issue 10 item 5):
 * the tar reader (seekable and streaming), layout JSON, descriptors and index.json, the layout
 * graph and inspect report over whole mutated layouts, Notation JWS/COSE envelopes and CBOR.
 * Thousands of mutated inputs per run (fast-check, a fresh seed each run; a failure prints the seed
 * and the shrunk input): every failure must be a clean AirsignError — never another exception, a
 * hang or an unhandled rejection. Each property logs how many cases it ran.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAirsignError } from '../../../src/errors.js';
import { assertDescriptor } from '../../../src/descriptor.js';
import { decodeCbor } from '../../../src/formats/cbor.js';
import { verifyNotationEnvelope } from '../../../src/formats/notation/verify-envelope.js';
import { parseImageIndex } from '../../../src/layout/image-index.js';
import { parseLayoutJson } from '../../../src/layout/layout-json.js';
import { formatInspectReport } from '../../../src/cli/format-inspect-report.js';
import { inspectLayout } from '../../../src/operations/inspect.js';
import type { RandomAccessFile } from '../../../src/tar/random-access.js';
import { readFully } from '../../../src/tar/random-access.js';
import { TarStreamCheck } from '../../../src/tar/spool.js';
import { indexTar } from '../../../src/tar/tar-index.js';
import { END, concat, member, paxData, withChecksum } from '../../helpers/raw-tar.js';
import { buildRichLayout } from '../../integration/layout/build-fixtures.js';

const fixture = (rel: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/${rel}`, import.meta.url)));
const JWS = 'application/jose+json';
const COSE = 'application/cose';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'airsign-fuzz-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const counts: Record<string, number> = {};
afterAll(() => {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(`fuzz cases this run: ${JSON.stringify(counts)}; total ${total}`);
});

/** Runs `target`; anything thrown must be an AirsignError (else the property fails with the error). */
async function clean(name: string, target: () => unknown): Promise<'ok' | 'refused'> {
  counts[name] = (counts[name] ?? 0) + 1;
  try {
    await target();
    return 'ok';
  } catch (error) {
    if (isAirsignError(error)) {
      expect(error.message.length).toBeGreaterThan(0);
      expect(error.message).not.toMatch(/\n/);
      return 'refused';
    }
    throw error;
  }
}

function memoryFile(bytes: Uint8Array): RandomAccessFile {
  return {
    size: bytes.length,
    async read(buffer, offset, length, position) {
      const n = Math.max(0, Math.min(length, bytes.length - position));
      buffer.set(bytes.subarray(position, position + n), offset);
      return n;
    },
    close: async () => {},
  };
}

/** Offsets of the header blocks of a well-formed seed tar. */
function headerOffsets(tar: Uint8Array): number[] {
  const out: number[] = [];
  let at = 0;
  while (at + 512 <= tar.length && tar.subarray(at, at + 512).some((b) => b !== 0)) {
    out.push(at);
    const size = parseInt(Buffer.from(tar.subarray(at + 124, at + 136)).toString('latin1').replace(/[\0 ]/g, '') || '0', 8);
    const type = String.fromCharCode(tar[at + 156]!);
    at += 512 + ('123456'.includes(type) && type !== '' ? 0 : Math.ceil(size / 512) * 512);
  }
  return out;
}

const FIELDS: Array<[number, number]> = [[0, 100], [100, 8], [108, 8], [124, 12], [136, 12], [156, 1], [157, 100], [257, 8], [345, 155], [476, 24], [508, 4]];
const INTERESTING = ['5', '0', '\0', '1', '2', '7', 'x', 'g', 'L', 'K', 'S', 'ustar\u000000', 'ustar  \0', 'tar\0', '00000001000\0', '77777777777\0', ' 0 1 ', '\u0080\0\0\0\0\0\0\0\0\0\u0004\0',
  '\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff', 'index.json', './index.json', '../x', '/abs', 'blobs/', 'a\\b', 'C:x', ''];

const tarMutation = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('field' as const), block: fc.nat(), field: fc.nat(), value: fc.oneof(fc.constantFrom(...INTERESTING).map((s) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff)), fc.uint8Array({ maxLength: 12 })), fix: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('byte' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('append' as const), bytes: fc.uint8Array({ maxLength: 1100 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('copy-entry' as const), block: fc.nat() }) },
);
type TarMutation = typeof tarMutation extends fc.Arbitrary<infer T> ? T : never;

function mutateTar(seed: Uint8Array, ops: TarMutation[]): Uint8Array {
  let bytes: Uint8Array = new Uint8Array(seed);
  for (const op of ops) {
    const headers = headerOffsets(bytes);
    if (op.op === 'field' && headers.length > 0) {
      const at = headers[op.block % headers.length]!;
      const [start, length] = FIELDS[op.field % FIELDS.length]!;
      const field = new Uint8Array(length);
      field.set(op.value.subarray(0, length));
      bytes.set(field, at + start);
      if (op.fix) withChecksumAt(bytes, at);
    } else if (op.op === 'byte' && bytes.length > 0) bytes[op.at % bytes.length] = op.byte;
    else if (op.op === 'truncate') bytes = bytes.slice(0, op.at % (bytes.length + 1));
    else if (op.op === 'append') bytes = concat([bytes, op.bytes]);
    else if (op.op === 'copy-entry' && headers.length > 0) {
      const i = op.block % headers.length;
      const end = headers[i + 1] ?? bytes.length;
      bytes = concat([bytes.subarray(0, headers[headers.length - 1]), bytes.subarray(headers[i], end), bytes.subarray(headers[headers.length - 1])]);
    }
  }
  return bytes;
}

function withChecksumAt(bytes: Uint8Array, at: number): void {
  if (at + 512 > bytes.length) return;
  bytes.set(withChecksum(bytes.slice(at, at + 512)), at);
}

async function indexAndRead(bytes: Uint8Array): Promise<void> {
  const file = memoryFile(bytes);
  const { entries } = await indexTar(file, 'fuzz.tar');
  for (const e of entries.values()) {
    if (e.type !== 'file') continue;
    const buf = new Uint8Array(Math.min(e.size, 1 << 20));
    expect(await readFully(file, buf, 0, buf.length, e.offset)).toBe(buf.length);
  }
}

function streamCheck(bytes: Uint8Array, chunk: number): void {
  const check = new TarStreamCheck('stdin');
  for (let at = 0; at < bytes.length && !check.done; at += chunk) check.push(Buffer.from(bytes.subarray(at, at + chunk)));
}

describe('hostile-input fuzzing', () => {
  const seeds: Uint8Array[] = [];
  beforeAll(() => {
    seeds.push(fixture('layout/hello-world.tar'), fixture('layout/hello-world-prefixed-path.tar'));
    seeds.push(concat([
      member({ name: 'x', type: 'x', data: paxData([['path', 'blobs/sha256/long-name'.padEnd(150, 'n')], ['mtime', '1.5']]) }),
      member({ name: 'short', data: 'pax' }),
      member({ name: '././@LongLink', type: 'L', data: `${'g'.repeat(120)}\0`, format: 'gnu' }),
      member({ name: 'g', data: 'gnu', format: 'gnu' }),
      member({ name: 'dir/', type: '5' }),
      member({ name: 'index.json', data: '{}' }),
      END,
    ]));
  });

  it('tar reader: mutated tars are indexed or refused cleanly, and the streaming check never refuses what the indexer accepts', async () => {
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(tarMutation, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 2048 }), async (seed, ops, chunk) => {
        const bytes = mutateTar(seeds[seed % seeds.length]!, ops);
        const indexed = await clean('tar', () => indexAndRead(bytes));
        const streamed = await clean('tar-stream', () => streamCheck(bytes, chunk));
        if (indexed === 'ok') expect(streamed).toBe('ok');
        if (indexed === 'refused') refused++;
      }),
      { numRuns: 3000 },
    );
    expect(refused).toBeGreaterThan(100);
    expect(refused).toBeLessThan(3000);
  });

  it('layout JSON and index.json: arbitrary and byte-mutated documents parse or are refused cleanly', async () => {
    const real = new TextEncoder().encode(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 7, platform: { os: 'linux', architecture: 'amd64' }, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }],
    }));
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), async (value) => {
        await clean('json-value', () => parseImageIndex(new TextEncoder().encode(JSON.stringify(value))));
        await clean('descriptor', () => assertDescriptor(value, 'fuzz'));
      }),
      { numRuns: 1500 },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(), async (edits, cut) => {
        const bytes = new Uint8Array(real);
        for (const [at, b] of edits) bytes[at % bytes.length] = b;
        await clean('json-bytes', () => parseImageIndex(bytes.subarray(0, bytes.length - (cut % 4))));
      }),
      { numRuns: 2000 },
    );
    await clean('json-deep', () => parseLayoutJson(new TextEncoder().encode('['.repeat(100000)), 'deep'));
  });

  it('whole layouts: mutated index.json and manifests go through open, graph walk and inspect cleanly', async () => {
    const rich = buildRichLayout(join(work, 'rich'), { layerSize: 64 });
    const dir = rich.builder.dir;
    const read = (p: string) => new Uint8Array(readFileSync(join(dir, p)));
    const index = JSON.parse(Buffer.from(read('index.json')).toString()) as { manifests: Array<Record<string, unknown>> };
    const blobNames = JSON.parse(JSON.stringify(index.manifests.map((m) => String(m.digest).slice(7)))) as string[];
    const { readdirSync } = await import('node:fs');
    const allBlobs = readdirSync(join(dir, 'blobs', 'sha256'));
    const odd = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(-1, 2 ** 53, 1.5, '', 'sha256:', `sha256:${'G'.repeat(64)}`, `sha512:${'a'.repeat(64)}`, 'application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json', null, [], {}, 'Manifests', 'ſize'));
    const edit = fc.record({ path: fc.array(fc.nat(), { maxLength: 5 }), action: fc.constantFrom('set', 'delete', 'rename'), value: odd });
    const path = join(work, 'fuzz.tar');
    const { createHash } = await import('node:crypto');
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { maxLength: 3 }), fc.array(edit, { maxLength: 3 }), fc.nat(), async (indexEdits, manifestEdits, which) => {
        const idx = JSON.parse(JSON.stringify(index)) as { manifests: Array<Record<string, unknown>> };
        const blobs = new Map(allBlobs.map((b) => [b, read(`blobs/sha256/${b}`)]));
        // Rewrite one top-level manifest and point its index.json entry at the new bytes.
        const i = which % idx.manifests.length;
        const original = blobs.get(blobNames[i]!);
        if (original && manifestEdits.length > 0) {
          const doc = JSON.parse(Buffer.from(original).toString()) as unknown;
          const changed = new TextEncoder().encode(JSON.stringify(applyEdits(doc, manifestEdits)));
          const hex = createHash('sha256').update(changed).digest('hex');
          blobs.set(hex, changed);
          idx.manifests[i] = { ...idx.manifests[i], digest: `sha256:${hex}`, size: changed.length };
        }
        const indexBytes = new TextEncoder().encode(JSON.stringify(applyEdits(idx, indexEdits)));
        writeFileSync(path, concat([
          member({ name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' }),
          ...[...blobs].map(([hex, data]) => member({ name: `blobs/sha256/${hex}`, data })),
          member({ name: 'index.json', data: indexBytes }),
          END,
        ]));
        await clean('layout', async () => {
          const report = await inspectLayout(path);
          JSON.stringify(report);
          formatInspectReport(report);
        });
      }),
      { numRuns: 250 },
    );
  });

  it('Notation JWS and COSE envelopes and CBOR: byte-mutated envelopes are verified or refused cleanly', async () => {
    const envelopes: Array<[string, Uint8Array]> = [
      [JWS, fixture('notation/notation-go/jws_signature.sig')],
      [COSE, fixture('notation/notation-go/cose_signature.sig')],
      [JWS, fixture('notation/e2e-with-timestamped-signature/envelope.jws')],
    ];
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(), async (which, edits, cut) => {
        const [mediaType, original] = envelopes[which % envelopes.length]!;
        const bytes = new Uint8Array(original);
        for (const [at, b] of edits) bytes[at % bytes.length] = b;
        const input = bytes.subarray(0, bytes.length - (cut % 3 === 0 ? cut % 50 : 0));
        await clean('envelope', () => verifyNotationEnvelope(mediaType, input));
        if (mediaType === COSE) await clean('cbor', () => decodeCbor(input));
      }),
      { numRuns: 1500 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (bytes) => {
        await clean('cbor', () => decodeCbor(bytes));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('fuzz findings, kept as fixed cases', () => {
  it('a JSON syntax error at a newline still gives a one-line error', () => {
    const bytes = new TextEncoder().encode('{"schemaVersion":2,\n\n"manifests":[}');
    expect(() => parseImageIndex(bytes)).toThrow(expect.objectContaining({ code: 'LAYOUT_BAD_JSON', message: expect.not.stringMatching(/\n/) }));
  });

  it('a COSE envelope whose certificate has a corrupt public key is refused, not a crash (exit 70)', () => {
    const bytes = fixture('notation/notation-go/cose_signature.sig');
    bytes[96043252 % bytes.length] = 0;
    bytes[343346343 % bytes.length] = 0;
    let thrown: unknown;
    try {
      verifyNotationEnvelope(COSE, bytes);
    } catch (error) {
      thrown = error;
    }
    expect(isAirsignError(thrown), String(thrown)).toBe(true);
  });
});

/** Applies structural edits (navigate by index into arrays and objects, then set, delete or rename a key). */
function applyEdits(doc: unknown, edits: Array<{ path: number[]; action: string; value: unknown }>): unknown {
  for (const e of edits) {
    let container: unknown = doc;
    let key: string | number | undefined;
    for (const step of e.path) {
      const keys = Array.isArray(container) ? container.map((_, i) => i) : container && typeof container === 'object' ? Object.keys(container) : [];
      if (keys.length === 0) break;
      key = keys[step % keys.length]!;
      const child = (container as Record<string | number, unknown>)[key];
      if (child === null || typeof child !== 'object') break;
      container = child;
      key = undefined;
    }
    if (container === null || typeof container !== 'object') continue;
    const target = container as Record<string | number, unknown>;
    const keys = Object.keys(target);
    const k = key ?? keys[e.path.length % Math.max(1, keys.length)] ?? 'extra';
    if (e.action === 'set') target[k] = e.value;
    else if (e.action === 'delete') delete target[k];
    else if (!Array.isArray(target)) {
      target[typeof e.value === 'string' ? e.value : String(k).toUpperCase()] = target[k];
      delete target[k];
    }
  }
  return doc;
}
