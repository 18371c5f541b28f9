/**
 * Property/mutation fuzzing of everything that parses input we did not write (issue 10 item 5):
 * the tar reader (seekable and streaming), layout JSON, descriptors, index.json and manifests, the
 * layout graph and inspect report over whole mutated layouts, Notation JWS/COSE envelopes (byte and
 * structural mutations of real envelopes, and hostile headers and payloads re-signed with the e2e
 * test key so they get past the signature) through verification and trust-policy evaluation, CBOR.
 * Thousands of mutated inputs per run (fast-check, a fresh seed each run, FUZZ_SEED=<seed> replays
 * one; a failure prints the seed, path and shrunk input): every failure must be a clean AirsignError
 * (test/helpers/fuzz.ts) — never another exception, a hang or an unhandled rejection. Each property
 * has a time budget; the afterAll line gives the cases per area.
 */
import { createPrivateKey, sign as cryptoSign, constants } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAirsignError } from '../../../src/errors.js';
import { assertDescriptor, type Descriptor } from '../../../src/descriptor.js';
import { CborTag, decodeCbor, encodeCbor, type CborValue } from '../../../src/formats/cbor.js';
import { coseSigStructure } from '../../../src/formats/notation/cose-envelope.js';
import { verifyNotationEnvelope } from '../../../src/formats/notation/verify-envelope.js';
import { cosignTagOf, manifestFacts, successors } from '../../../src/layout/graph.js';
import { parseImageIndex } from '../../../src/layout/image-index.js';
import { parseLayoutJson } from '../../../src/layout/layout-json.js';
import { checkManifestBytes } from '../../../src/layout/manifest-json.js';
import { readStripRecord } from '../../../src/layout/strip-directory.js';
import { formatInspectReport } from '../../../src/cli/format-inspect-report.js';
import { inspectLayout } from '../../../src/operations/inspect.js';
import { formatVerifyReport, verifyLayout } from '../../../src/operations/verify.js';
import type { RandomAccessFile } from '../../../src/tar/random-access.js';
import { readFully } from '../../../src/tar/random-access.js';
import { TarStreamCheck } from '../../../src/tar/spool.js';
import { indexTar } from '../../../src/tar/tar-index.js';
import { evaluateNotationSignature } from '../../../src/verify/evaluate-notation.js';
import { parseNotationTrustPolicy, statementFor } from '../../../src/verify/notation-trust-policy.js';
import { openNotationTrustStore, type NotationTrustStore } from '../../../src/verify/notation-trust-store.js';
import { FuzzSuite, applyByteEdits, sometimes, byteEdits, jsonEdits, mutateJson, utf8 } from '../../helpers/fuzz.js';
import { END, concat, member, paxData, withChecksum } from '../../helpers/raw-tar.js';
import { buildRichLayout } from '../../helpers/layout-builder.js';
import { sha256Hex } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const fixture = (rel: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/${rel}`, import.meta.url)));
const JWS = 'application/jose+json';
const COSE = 'application/cose';

const work = tempDir('airsign-fuzz-');

const suite = new FuzzSuite('hostile-input');
const started = Date.now();
afterAll(() => {
  suite.finish(started);
});
const clean = (area: string, target: () => unknown) => suite.clean(area, target);

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
      suite.parameters(3000, 2500),
    );
    expect(refused).toBeGreaterThan(100);
    expect(refused).toBeLessThan(suite.counts.tar!);
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
      suite.parameters(1500, 1200),
    );
    await fc.assert(
      fc.asyncProperty(byteEdits, async (edits) => {
        await clean('json-bytes', () => parseImageIndex(applyByteEdits(real, edits)));
      }),
      suite.parameters(2000, 800),
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
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { maxLength: 3 }), fc.array(edit, { maxLength: 3 }), fc.nat(), fc.constantFrom('tar', 'tar', 'gzip', 'gzip-edited'), byteEdits, async (indexEdits, manifestEdits, which, container, gzipEdits) => {
        const idx = JSON.parse(JSON.stringify(index)) as { manifests: Array<Record<string, unknown>> };
        const blobs = new Map(allBlobs.map((b) => [b, read(`blobs/sha256/${b}`)]));
        // Rewrite one top-level manifest and point its index.json entry at the new bytes.
        const i = which % idx.manifests.length;
        const original = blobs.get(blobNames[i]!);
        if (original && manifestEdits.length > 0) {
          const doc = JSON.parse(Buffer.from(original).toString()) as unknown;
          const changed = new TextEncoder().encode(JSON.stringify(applyEdits(doc, manifestEdits)));
          const hex = sha256Hex(changed);
          blobs.set(hex, changed);
          idx.manifests[i] = { ...idx.manifests[i], digest: `sha256:${hex}`, size: changed.length };
        }
        const indexBytes = new TextEncoder().encode(JSON.stringify(applyEdits(idx, indexEdits)));
        const tar = concat([
          member({ name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' }),
          ...[...blobs].map(([hex, data]) => member({ name: `blobs/sha256/${hex}`, data })),
          member({ name: 'index.json', data: indexBytes }),
          END,
        ]);
        // Also as a gzip-compressed tar (read through the spool), whole or with its compressed bytes edited.
        const gz = container === 'tar' ? tar : new Uint8Array(gzipSync(tar));
        writeFileSync(path, container === 'gzip-edited' ? applyByteEdits(gz, gzipEdits) : gz);
        await clean(container === 'tar' ? 'layout' : 'layout-gzip', async () => {
          const report = await inspectLayout(path);
          JSON.stringify(report);
          formatInspectReport(report);
        });
      }),
      suite.parameters(250, 2500),
    );
  });

  it('Notation JWS and COSE envelopes and CBOR: byte-mutated envelopes are verified or refused cleanly', async () => {
    const envelopes: Array<[string, Uint8Array]> = [
      [JWS, fixture('notation/notation-go/jws_signature.sig')],
      [COSE, fixture('notation/notation-go/cose_signature.sig')],
      [JWS, fixture('notation/e2e-with-timestamped-signature/envelope.jws')],
      [JWS, fixture('notation/e2e-valid-signature/envelope.jws')],
    ];
    await fc.assert(
      fc.asyncProperty(fc.nat(), byteEdits, async (which, edits) => {
        const [mediaType, original] = envelopes[which % envelopes.length]!;
        const input = applyByteEdits(original, edits);
        await clean('notation-envelope-bytes', () => verifyNotationEnvelope(mediaType, input));
        if (mediaType === COSE) await clean('cbor', () => decodeCbor(input));
      }),
      suite.parameters(1500, 1500),
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (bytes) => {
        await clean('cbor', () => decodeCbor(bytes));
      }),
      suite.parameters(3000, 500),
    );
  });

  it('Notation envelopes with hostile headers and payloads, signed with the e2e key, are verified and evaluated under trust policies cleanly', async () => {
    const key = createPrivateKey(readFileSync(new URL('../../fixtures/notation/e2e.key', import.meta.url)));
    const certDer = new Uint8Array(Buffer.from(readFileSync(new URL('../../fixtures/notation/e2e.crt', import.meta.url), 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64'));
    const store = join(work, 'store');
    mkdirSync(join(store, 'x509', 'ca', 'e2e'), { recursive: true });
    copyFileSync(new URL('../../fixtures/notation/e2e.crt', import.meta.url), join(store, 'x509', 'ca', 'e2e', 'e2e.crt'));
    const trustStore: NotationTrustStore = await openNotationTrustStore(store);
    const statements = ['trustpolicy', 'valid_trusted_identity_trustpolicy', 'permissive_trustpolicy', 'audit_trustpolicy']
      .map((n) => statementFor(parseNotationTrustPolicy(fixture(`notation/trustpolicies/${n}.json`)), undefined));
    const real = JSON.parse(Buffer.from(fixture('notation/e2e-valid-signature/envelope.jws')).toString()) as { protected: string; payload: string; header: Record<string, unknown> };
    const header = JSON.parse(Buffer.from(real.protected, 'base64url').toString()) as Record<string, unknown>;
    const payload = JSON.parse(Buffer.from(real.payload, 'base64url').toString()) as { targetArtifact: Descriptor };
    const target = { mediaType: payload.targetArtifact.mediaType, digest: payload.targetArtifact.digest, size: payload.targetArtifact.size };
    const signPss = (data: Uint8Array) => new Uint8Array(cryptoSign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }));
    const cbor = fc.constantFrom<CborValue>(
      0, -1, 1, 2 ** 53 - 1, -(2 ** 53) + 1, 2n ** 64n - 1n, -(2n ** 64n), '', 'notary.x509', 'notary.x509.signingAuthority', 'application/vnd.cncf.notary.payload.v1+json',
      'io.cncf.notary.signingTime', 'io.cncf.notary.expiry', new Uint8Array(0), new Uint8Array(40), [], ['io.cncf.notary.signingScheme'], ['io.cncf.notary.signingScheme', 'io.cncf.notary.signingScheme'],
      [1], new Map(), new Map<CborValue, CborValue>([[1, -37]]), true, false, null, undefined,
      new CborTag(1, 0), new CborTag(1, -1), new CborTag(1, 1_700_000_000), new CborTag(1, 2 ** 53 - 1), new CborTag(1, -(2 ** 53) + 1), new CborTag(1, 8_640_000_000_001),
      new CborTag(1, 'x'), new CborTag(0, '2023-01-01T00:00:00Z'), new CborTag(18, []), -37, -38, -39, -7, -35, -36, -257,
    );
    const cborEdit = fc.record({ op: fc.constantFrom('set', 'delete', 'add'), pick: fc.nat(), value: cbor, key: fc.oneof(cbor, fc.constantFrom<CborValue>(1, 2, 3, 33, 'io.cncf.notary.signingScheme', 'io.cncf.notary.signingTime', 'io.cncf.notary.expiry', 'io.cncf.notary.authenticSigningTime', 'io.cncf.notary.signingAgent', 'io.cncf.notary.timestampSignature')) });
    const editMap = (map: Map<CborValue, CborValue>, edits: Array<{ op: string; pick: number; value: CborValue; key: CborValue }>) => {
      const out = new Map(map);
      for (const e of edits) {
        const keys = [...out.keys()];
        if (e.op === 'add' || keys.length === 0) out.set(e.key, e.value);
        else if (e.op === 'set') out.set(keys[e.pick % keys.length], e.value);
        else out.delete(keys[e.pick % keys.length]);
      }
      return out;
    };
    const coseProtected = new Map<CborValue, CborValue>([[1, -37], [2, ['io.cncf.notary.signingScheme']], [3, 'application/vnd.cncf.notary.payload.v1+json'], ['io.cncf.notary.signingScheme', 'notary.x509'], ['io.cncf.notary.signingTime', new CborTag(1, 1_687_843_833)]]);
    const coseUnprotected = new Map<CborValue, CborValue>([[33, [certDer]], ['io.cncf.notary.signingAgent', 'fuzz']]);
    const hostile = fc.record({
      type: fc.constantFrom('jws', 'cose'),
      headerEdits: sometimes(jsonEdits, 0.5),
      payloadEdits: sometimes(jsonEdits, 0.5),
      outerEdits: sometimes(jsonEdits, 0.2),
      coseProtectedEdits: sometimes(fc.array(cborEdit, { minLength: 1, maxLength: 3 }), 0.5).map((e) => e ?? []),
      coseUnprotectedEdits: sometimes(fc.array(cborEdit, { minLength: 1, maxLength: 2 }), 0.3).map((e) => e ?? []),
      // The certificate chain is not covered by the envelope signature: its DER, mutated, reaches the certificate parsers.
      certEdits: sometimes(byteEdits, 0.25),
      statement: fc.nat(),
    });
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(hostile, async (h) => {
        const payloadBytes = utf8(h.payloadEdits ? mutateJson(payload, h.payloadEdits) : JSON.stringify(payload));
        const cert = h.certEdits ? applyByteEdits(certDer, h.certEdits) : certDer;
        let mediaType: string;
        let bytes: Uint8Array;
        if (h.type === 'jws') {
          mediaType = JWS;
          const protectedB64 = Buffer.from(h.headerEdits ? mutateJson(header, h.headerEdits) : JSON.stringify(header)).toString('base64url');
          const payloadB64 = Buffer.from(payloadBytes).toString('base64url');
          const signature = Buffer.from(signPss(utf8(`${protectedB64}.${payloadB64}`))).toString('base64url');
          const doc = { payload: payloadB64, protected: protectedB64, header: { x5c: [Buffer.from(cert).toString('base64')], 'io.cncf.notary.signingAgent': 'fuzz' }, signature };
          bytes = utf8(h.outerEdits ? mutateJson(doc, h.outerEdits) : JSON.stringify(doc));
        } else {
          mediaType = COSE;
          let protectedBytes: Uint8Array;
          let unprotected: Map<CborValue, CborValue>;
          try {
            protectedBytes = encodeCbor(editMap(coseProtected, h.coseProtectedEdits));
            unprotected = editMap(new Map([...coseUnprotected, [33, [cert]]]), h.coseUnprotectedEdits);
            bytes = encodeCbor(new CborTag(18, [protectedBytes, unprotected, payloadBytes, signPss(coseSigStructure(protectedBytes, payloadBytes))]));
          } catch (e) {
            if (isAirsignError(e) && e.code === 'CBOR_UNENCODABLE') return; // e.g. duplicate keys: not a COSE message
            throw e;
          }
        }
        await clean(`notation-${h.type}-signed`, async () => {
          const envelope = verifyNotationEnvelope(mediaType, bytes);
          accepted++;
          // Facts are well formed: an invalid Date compares false with everything (validity checks pass).
          expect(Number.isFinite(envelope.signingTime.getTime())).toBe(true);
          if (envelope.expiry) expect(Number.isFinite(envelope.expiry.getTime())).toBe(true);
          const verdict = await evaluateNotationSignature({ signature: 'sha256:fuzz', envelope }, target, statements[h.statement % statements.length]!, trustStore, { now: new Date('2026-01-01T00:00:00Z') });
          expect(['valid', 'invalid', 'skipped']).toContain(verdict.verdict);
          JSON.stringify(verdict);
        });
      }),
      suite.parameters(1500, 2500),
    );
    expect(accepted).toBeGreaterThan(0);
  });

  it('Notation timestamped envelopes: mutated RFC 3161 tokens and certificate chains (outside the envelope signature) are evaluated or refused cleanly', async () => {
    const real = JSON.parse(Buffer.from(fixture('notation/e2e-with-timestamped-signature/envelope.jws')).toString()) as { payload: string; header: Record<string, unknown> };
    const x5c = real.header.x5c as string[];
    const token = new Uint8Array(Buffer.from(real.header['io.cncf.notary.timestampSignature'] as string, 'base64'));
    const store = join(work, 'tsa-store');
    mkdirSync(join(store, 'x509', 'ca', 'e2e'), { recursive: true });
    mkdirSync(join(store, 'x509', 'tsa', 'e2e'), { recursive: true });
    writeFileSync(join(store, 'x509', 'ca', 'e2e', 'testcert7.pem'), `-----BEGIN CERTIFICATE-----\n${x5c[0]}\n-----END CERTIFICATE-----\n`);
    copyFileSync(new URL('../../fixtures/notation/notation-go/NotationTestRoot.pem', import.meta.url), join(store, 'x509', 'tsa', 'e2e', 'root.pem'));
    const trustStore = await openNotationTrustStore(store);
    const statements = ['strict', 'permissive'].flatMap((level) => ['always', 'afterCertExpiry'].map((verifyTimestamp) => statementFor(parseNotationTrustPolicy(utf8(JSON.stringify({
      version: '1.0', trustPolicies: [{ name: 'tsa', registryScopes: ['*'], signatureVerification: { level, verifyTimestamp }, trustStores: ['ca:e2e', 'tsa:e2e'], trustedIdentities: ['*'] }],
    }))), undefined)));
    const payload = JSON.parse(Buffer.from(real.payload, 'base64url').toString()) as { targetArtifact: Descriptor };
    const target = { mediaType: payload.targetArtifact.mediaType, digest: payload.targetArtifact.digest, size: payload.targetArtifact.size };
    await fc.assert(
      fc.asyncProperty(sometimes(byteEdits, 0.75), sometimes(fc.tuple(fc.nat(), byteEdits), 0.3), fc.nat(), async (tokenEdits, certEdit, which) => {
        const header = { ...real.header };
        if (tokenEdits) header['io.cncf.notary.timestampSignature'] = Buffer.from(applyByteEdits(token, tokenEdits)).toString('base64');
        if (certEdit) {
          const chain = [...x5c];
          const i = certEdit[0] % chain.length;
          chain[i] = Buffer.from(applyByteEdits(new Uint8Array(Buffer.from(chain[i]!, 'base64')), certEdit[1])).toString('base64');
          header.x5c = chain;
        }
        const bytes = utf8(JSON.stringify({ ...real, header }));
        await clean('notation-timestamp', async () => {
          const envelope = verifyNotationEnvelope(JWS, bytes);
          const verdict = await evaluateNotationSignature({ signature: 'sha256:fuzz', envelope }, target, statements[which % statements.length]!, trustStore, { now: new Date('2026-01-01T00:00:00Z') });
          expect(['valid', 'invalid', 'skipped']).toContain(verdict.verdict);
          JSON.stringify(verdict);
        });
      }),
      suite.parameters(1000, 2000),
    );
  });

  it('Notation trust stores: mutated certificate files (PEM and DER) are read or refused cleanly', async () => {
    const pems = [fixture('notation/e2e.crt'), fixture('notation/notation-go/NotationTestRoot.pem')];
    const ders = pems.map((pem) => new Uint8Array(Buffer.from(Buffer.from(pem).toString().replace(/-----[^-]+-----|\s/g, ''), 'base64')));
    let n = 0;
    const storeWith = (type: string, file: string, bytes: Uint8Array) => {
      const store = join(work, `stores/s${n++}`);
      mkdirSync(join(store, 'x509', type, 'fuzz'), { recursive: true });
      writeFileSync(join(store, 'x509', type, 'fuzz', file), bytes);
      return store;
    };
    // Unmutated, both are read (PEM and DER); the root also as a TSA root.
    for (const [i, type] of [[0, 'ca'], [1, 'ca'], [1, 'tsa']] as const) {
      for (const [file, bytes] of [['c.pem', pems[i]!], ['c.crt', ders[i]!]] as const) {
        expect(await (await openNotationTrustStore(storeWith(type, file, bytes))).certificates(type, 'fuzz')).toHaveLength(1);
      }
    }
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.boolean(), byteEdits, fc.constantFrom('ca', 'signingAuthority', 'tsa'), async (which, asPem, edits, type) => {
        const store = storeWith(type, asPem ? 'c.pem' : 'c.crt', applyByteEdits(asPem ? pems[which % 2]! : ders[which % 2]!, edits));
        await clean('trust-store', async () => (await openNotationTrustStore(store)).certificates(type, 'fuzz'));
        rmSync(store, { recursive: true, force: true });
      }),
      suite.parameters(400, 1200),
    );
  });

  it('Notation layouts: mutated trust policies and envelopes through the whole verify operation and its report', async () => {
    const source = new URL('../../fixtures/notation-layouts/e2e-valid-signature/', import.meta.url);
    const dir = join(work, 'notation-layout');
    mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    for (const f of ['index.json', 'oci-layout']) copyFileSync(new URL(f, source), join(dir, f));
    for (const f of readdirSync(new URL('blobs/sha256/', source))) copyFileSync(new URL(`blobs/sha256/${f}`, source), join(dir, 'blobs', 'sha256', f));
    const store = join(work, 'layout-store');
    mkdirSync(join(store, 'x509', 'ca', 'e2e'), { recursive: true });
    copyFileSync(new URL('../../fixtures/notation/e2e.crt', import.meta.url), join(store, 'x509', 'ca', 'e2e', 'e2e.crt'));
    const policyDoc = JSON.parse(Buffer.from(fixture('notation/trustpolicies/valid_trusted_identity_trustpolicy.json')).toString()) as unknown;
    const policyPath = join(work, 'trustpolicy.json');
    await fc.assert(
      fc.asyncProperty(jsonEdits, fc.constantFrom(undefined, 'localhost:5000/net-monitor', 'registry.example/app:v1', 'x'), async (edits, identity) => {
        writeFileSync(policyPath, mutateJson(policyDoc, edits));
        await clean('notation-verify-layout', async () => {
          const report = await verifyLayout(dir, { trustPolicy: policyPath, trustStore: store, now: new Date('2026-01-01T00:00:00Z'), ...(identity ? { identity } : {}) });
          JSON.stringify(report);
          formatVerifyReport(report);
        });
      }),
      suite.parameters(300, 2000),
    );
  });

  it('strip directories: mutated airsign-strip.json records are read or refused cleanly', async () => {
    const dir = join(work, 'strip-dir');
    mkdirSync(dir, { recursive: true });
    const descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 517 };
    const record = { type: 'airsign.strip.v1', image: descriptor, reference: 'v1', blobs: [{ ...descriptor, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: 1 }, descriptor] };
    writeFileSync(join(dir, 'airsign-strip.json'), JSON.stringify(record));
    expect((await readStripRecord(dir)).blobs).toHaveLength(2);
    await fc.assert(
      fc.asyncProperty(jsonEdits, sometimes(byteEdits, 0.25), async (edits, bytesEdits) => {
        const bytes = utf8(mutateJson(record, edits));
        writeFileSync(join(dir, 'airsign-strip.json'), bytesEdits ? applyByteEdits(bytes, bytesEdits) : bytes);
        await clean('strip-record', () => readStripRecord(dir));
      }),
      suite.parameters(600, 1000),
    );
  });

  it('manifests and indexes: structurally mutated real documents are read for descriptors, edges and facts cleanly', async () => {
    const rich = buildRichLayout(join(work, 'rich-docs'), { layerSize: 16 });
    const blobDir = join(rich.builder.dir, 'blobs', 'sha256');
    const docs: Array<{ mediaType: string; value: unknown }> = [];
    for (const name of readdirSync(blobDir)) {
      const bytes = readFileSync(join(blobDir, name));
      try {
        const value = JSON.parse(bytes.toString()) as Record<string, unknown>;
        if (typeof value.mediaType === 'string' && (Array.isArray(value.layers) || Array.isArray(value.manifests))) docs.push({ mediaType: value.mediaType, value });
      } catch {
        // a layer
      }
    }
    docs.push({ mediaType: 'application/vnd.oci.image.index.v1+json', value: JSON.parse(readFileSync(join(rich.builder.dir, 'index.json'), 'utf8')) as unknown });
    expect(docs.length).toBeGreaterThan(3);
    await fc.assert(
      fc.asyncProperty(fc.nat(), jsonEdits, fc.boolean(), async (which, edits, asIndex) => {
        const doc = docs[which % docs.length]!;
        const bytes = utf8(mutateJson(doc.value, edits));
        await clean('manifest-json', () => {
          const items = successors(doc.mediaType, bytes);
          for (const d of items) cosignTagOf(d);
          manifestFacts(bytes, doc.mediaType);
        });
        if (asIndex) {
          await clean('index-json', () => {
            const index = parseImageIndex(bytes);
            for (const d of index.manifests) cosignTagOf(d);
          });
        }
        await clean('layout-json', () => parseLayoutJson(bytes, 'fuzz'));
        // What sign reads before signing: accepted only when every reader sees the same document.
        await clean('signed-manifest', () => checkManifestBytes(bytes, doc.mediaType, 'fuzz'));
      }),
      suite.parameters(3000, 1500),
    );
  });
});

describe('fuzz findings, kept as fixed cases', () => {
  it('a COSE signing time beyond the range of a Date is refused (it made an invalid Date that passed every certificate validity check)', () => {
    const key = createPrivateKey(readFileSync(new URL('../../fixtures/notation/e2e.key', import.meta.url)));
    const certDer = new Uint8Array(Buffer.from(readFileSync(new URL('../../fixtures/notation/e2e.crt', import.meta.url), 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64'));
    const payload = utf8('{"targetArtifact":{"digest":"sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9","mediaType":"application/vnd.oci.image.manifest.v1+json","size":517}}');
    const envelope = (seconds: number) => {
      const protectedBytes = encodeCbor(new Map<CborValue, CborValue>([[1, -37], [2, ['io.cncf.notary.signingScheme']], [3, 'application/vnd.cncf.notary.payload.v1+json'],
        ['io.cncf.notary.signingScheme', 'notary.x509'], ['io.cncf.notary.signingTime', new CborTag(1, seconds)]]));
      const signature = cryptoSign('sha256', coseSigStructure(protectedBytes, payload), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
      return encodeCbor(new CborTag(18, [protectedBytes, new Map<CborValue, CborValue>([[33, [certDer]]]), payload, new Uint8Array(signature)]));
    };
    expect(verifyNotationEnvelope(COSE, envelope(1_687_843_833)).signingTime.toISOString()).toBe('2023-06-27T05:30:33.000Z');
    for (const seconds of [2 ** 53 - 1, 8_640_000_000_001, -(2 ** 53) + 1]) {
      expect(() => verifyNotationEnvelope(COSE, envelope(seconds)), String(seconds)).toThrow(expect.objectContaining({ code: 'NOTATION_ENVELOPE_MALFORMED' }));
    }
  });

  it('a COSE envelope whose signing scheme is a CBOR integer beyond 64 bits is refused, not a crash (JSON.stringify threw on the bigint)', () => {
    // Shrunk counterexample: the real COSE protected header with io.cncf.notary.signingScheme = -(2^64).
    const protectedBytes = encodeCbor(new Map<CborValue, CborValue>([[1, -37], [2, ['io.cncf.notary.signingScheme']], [3, 'application/vnd.cncf.notary.payload.v1+json'],
      ['io.cncf.notary.signingScheme', -(2n ** 64n)], ['io.cncf.notary.signingTime', new CborTag(1, 1_687_843_833)]]));
    const bytes = encodeCbor(new CborTag(18, [protectedBytes, new Map<CborValue, CborValue>([[33, [new Uint8Array(8)]]]), utf8('{}'), new Uint8Array(256)]));
    expect(() => verifyNotationEnvelope(COSE, bytes)).toThrow(expect.objectContaining({ code: 'NOTATION_ENVELOPE_MALFORMED', message: expect.stringContaining('unsupported signing scheme -18446744073709551616') }));
  });

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
