/**
 * Issue 16 (2, 3, 4) through the CLI, as someone who writes the layout but holds no key would try
 * it: `sign` signs exactly the targets (platform manifests by content, attestations only when asked,
 * every signed manifest checked as Go reads it, in every format, tar and directory), the cosign/GPG
 * identity comes only from --identity, a reference two images answer to is refused, and nothing the
 * layout holds reaches the terminal unescaped.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SigningRecord } from '../../../src/signing-record.js';
import { runCli, runCliAsync, type CliResult } from '../../helpers/cli.js';
import { makeTestChain, type TestChain } from '../../helpers/sign-fixtures.js';
import { LayoutBuilder, type Blob } from '../layout/build-fixtures.js';
import { sha256File } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const ATTESTATION_TYPE = 'application/vnd.docker.attestation.manifest.v1+json';
const FORMATS = ['notation', 'notation-cose', 'cosign', 'cosign-bundle', 'gpg'] as const;
const ESC = '\u001b';
/** Tests that run a dozen CLI processes (three at a time) on a shared 2-core machine. */
const SLOW = 300_000;

const work = tempDir('airsign-sign-targets-');
let chain: TestChain;
let counter = 0;

beforeAll(() => {
  chain = makeTestChain('ec-p256');
});

function fresh(name: string): string {
  return join(work, `${name}-${++counter}`);
}

/** The arguments each format needs besides the key (identity, lookaside, certificate). */
function formatArgs(format: string, dir: string): string[] {
  const args = ['--key', chain.keyPath, '--format', format];
  if (format.startsWith('notation')) args.push('--cert', chain.chainPath);
  if (format === 'cosign' || format === 'gpg') args.push('--identity', 'registry.example/app:1');
  if (format === 'gpg') args.push('--lookaside', join(dir, 'lookaside'));
  return args;
}

/** Every file under `path` (or the file itself) with its sha256: what "nothing written" compares. */
function snapshot(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string, name: string) => {
    if (statSync(p).isDirectory()) for (const e of readdirSync(p).sort()) walk(join(p, e), `${name}/${e}`);
    else out[name] = sha256File(p);
  };
  walk(path, '.');
  return out;
}

function expectRefused(r: CliResult, code: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  // Runs on one layout at once may wait for each other's lock: that line is not the error.
  expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('airsign: waiting for process')), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(code);
  expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
}

function platformImage(b: LayoutBuilder, arch: string): Blob {
  return b.manifest(b.config(arch), [b.layer(200)]);
}

/** An index whose children are everything a build machine could list, tagged `1.0`. */
function mixedIndex(dir: string) {
  const b = new LayoutBuilder(dir);
  const amd64 = platformImage(b, 'amd64');
  const arm64 = platformImage(b, 'arm64');
  const config = b.config('s390x');
  const layer = b.layer(100);
  const intoto = b.blob('application/vnd.in-toto+json', Buffer.from('{"_type":"https://in-toto.io/Statement/v0.1"}'));
  const attConfig = b.json('application/vnd.oci.image.config.v1+json', { architecture: 'unknown', os: 'unknown', rootfs: { type: 'layers', diff_ids: [] } });
  // BuildKit's shape (in-toto layers), but no docker annotation on the descriptor.
  const shapeOnly = b.manifest(attConfig, [{ ...intoto, annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' } } as Blob]);
  // An attestation by artifactType alone.
  const empty = b.blob('application/vnd.oci.empty.v1+json', Buffer.from('{}'));
  const byArtifactType = b.manifest(empty, [b.blob('application/vnd.in-toto+json', Buffer.from('{"predicateType":"x"}'))], { artifactType: ATTESTATION_TYPE });
  // A platform manifest the descriptor calls an attestation.
  const disguised = platformImage(b, 'ppc64le');
  // Signature manifests of another image: cosign's (config + simple-signing layers) and Notation's.
  const simple = b.blob('application/vnd.dev.cosign.simplesigning.v1+json', Buffer.from('{"critical":{}}'));
  const cosignSig = b.manifest(b.json('application/vnd.oci.image.config.v1+json', { architecture: '', os: '' }), [{ ...simple, annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ==' } } as Blob]);
  const other = platformImage(b, 'riscv64');
  const notationSig = b.manifest(empty, [b.blob('application/jose+json', Buffer.from('{}'))], {
    artifactType: 'application/vnd.cncf.notary.signature',
    subject: { mediaType: other.mediaType, digest: other.digest, size: other.size },
  });
  const nested = b.json(OCI_INDEX, { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ ...other, platform: { architecture: 'riscv64', os: 'linux' } }] });
  const index = b.json(OCI_INDEX, {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      { ...amd64, platform: { architecture: 'amd64', os: 'linux' } },
      { ...arm64, platform: { architecture: 'arm64', os: 'linux' } },
      { ...config, platform: { architecture: 's390x', os: 'linux' } },
      { ...layer, platform: { architecture: 's390x', os: 'linux' } },
      { ...shapeOnly, platform: { architecture: 'unknown', os: 'unknown' } },
      { ...byArtifactType, artifactType: ATTESTATION_TYPE, platform: { architecture: 'unknown', os: 'unknown' } },
      { ...disguised, annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': amd64.digest }, platform: { architecture: 'ppc64le', os: 'linux' } },
      { ...cosignSig, platform: { architecture: 'amd64', os: 'linux' } },
      { ...notationSig, platform: { architecture: 'amd64', os: 'linux' } },
      { ...nested, platform: { architecture: 'riscv64', os: 'linux' } },
    ],
  });
  b.addEntry({ ...index, annotations: { 'org.opencontainers.image.ref.name': '1.0' } });
  b.writeIndex();
  return { b, index, amd64, arm64, config, layer, shapeOnly, byArtifactType, disguised, cosignSig, notationSig, nested };
}

describe('--recursive signs the platform images the index lists, by their content', () => {
  it('skips config and layer blobs, attestations by shape or artifactType, signature manifests and nested indexes, each with a note', () => {
    const dir = fresh('mixed');
    const l = mixedIndex(dir);
    const r = runCli(['sign', dir, ...formatArgs('cosign-bundle', dir), '--recursive', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(r.stdout) as SigningRecord;
    expect(record.signatures.map((s) => s.signedDescriptor.digest).sort()).toEqual([l.index.digest, l.amd64.digest, l.arm64.digest].sort());
    const notes = record.notes.join('\n');
    for (const skipped of [l.config, l.layer, l.shapeOnly, l.byArtifactType, l.disguised, l.cosignSig, l.notationSig, l.nested]) {
      expect(record.notes.filter((n) => n.includes(skipped.digest)), `${skipped.digest} in\n${notes}`).toHaveLength(1);
    }
    expect(notes).toMatch(new RegExp(`${l.config.digest}\\): a application/vnd.oci.image.config.v1\\+json blob, not an image manifest`));
    expect(notes).toMatch(new RegExp(`${l.shapeOnly.digest}\\): an attestation manifest \\(by its in-toto layers\\); --include-attestations signs it`));
    expect(notes).toMatch(new RegExp(`${l.byArtifactType.digest}\\): an attestation manifest \\(by its artifactType\\)`));
    expect(notes).toMatch(new RegExp(`${l.disguised.digest}\\): an attestation manifest \\(by its vnd.docker.reference.type annotation, though its content is a platform image\\)`));
    expect(notes).toMatch(new RegExp(`${l.cosignSig.digest}\\): a signature manifest`));
    expect(notes).toMatch(new RegExp(`${l.notationSig.digest}\\): a signature manifest of sha256:`));
    expect(notes).toMatch(new RegExp(`${l.nested.digest}\\): a nested index`));
  }, SLOW);

  it('with --include-attestations also signs the attestations (by annotation, artifactType or shape), nothing else', () => {
    const dir = fresh('mixed-att');
    const l = mixedIndex(dir);
    const r = runCli(['sign', dir, ...formatArgs('cosign-bundle', dir), '--recursive', '--include-attestations', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(r.stdout) as SigningRecord;
    expect(record.signatures.map((s) => s.signedDescriptor.digest).sort())
      .toEqual([l.index, l.amd64, l.arm64, l.shapeOnly, l.byArtifactType, l.disguised].map((d) => d.digest).sort());
    expect(record.notes).toHaveLength(5);
  }, SLOW);

  it('a platform child whose bytes do not match its digest is refused in every format, nothing written', async () => {
    const runs = FORMATS.map(async (format) => {
      const dir = fresh('bad-child');
      const l = mixedIndex(dir);
      const path = join(l.b.blobsDir, l.arm64.digest.slice(7));
      writeFileSync(path, readFileSync(path, 'utf8').replace('"schemaVersion": 2', '"schemaVersion": 3'));
      const before = snapshot(dir);
      expectRefused(await runCliAsync(['sign', dir, ...formatArgs(format, work), '--recursive']), /does not match its digest/);
      expect(snapshot(dir), format).toEqual(before);
    });
    // GPG writes nothing into a tar: the child is still read and checked.
    const tarRun = (async () => {
      const dir = fresh('bad-child-tar');
      const l = mixedIndex(dir);
      const path = join(l.b.blobsDir, l.amd64.digest.slice(7));
      writeFileSync(path, readFileSync(path, 'utf8').replace('"schemaVersion": 2', '"schemaVersion": 3'));
      const tar = l.b.tar(`${dir}.tar`);
      const lookaside = join(work, `la-${++counter}`);
      expectRefused(await runCliAsync(['sign', tar, '--key', chain.keyPath, '--format', 'gpg', '--identity', 'registry.example/app:1', '--lookaside', lookaside, '--recursive']), /does not match its digest/);
      expect(existsSync(lookaside)).toBe(false);
    })();
    await Promise.all([...runs, tarRun]);
  }, SLOW);
});

/** Top-level manifests Go and JavaScript would read differently, or not at all. */
function hostileManifests(b: LayoutBuilder): Array<[string, Buffer, RegExp, string?]> {
  const config = b.config('amd64');
  const layer = b.layer(100);
  const good = { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer] };
  const text = JSON.stringify(good);
  return [
    ['not JSON', Buffer.from(`${text.slice(0, -1)},}`), /LAYOUT_BAD_JSON|is not valid JSON/],
    ['a byte-order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), /byte-order mark/],
    ['100,000-deep nesting', Buffer.from(`{"schemaVersion":2,"config":${JSON.stringify(config)},"layers":[],"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`), /nests more than 64 levels/],
    ['layers and Layers', Buffer.from(`{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","config":${JSON.stringify(config)},"layers":[],"Layers":[${JSON.stringify(layer)}]}`), /"Layers"/],
    ['a repeated key', Buffer.from(`{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","config":${JSON.stringify(config)},"layers":[],"layers":[${JSON.stringify(layer)}]}`), /repeats the key "layers"/],
    ['keys equal but for case (not a field name)', Buffer.from(`{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","config":${JSON.stringify(config)},"layers":[],"x-note":1,"X-NOTE":2}`), /keys "x-note" and "X-NOTE"/],
    ['a mediaType field that contradicts the descriptor', Buffer.from(JSON.stringify({ ...good, mediaType: 'application/vnd.oci.image.index.v1+json' })), /says its mediaType is "application\/vnd.oci.image.index.v1\+json"/],
    ['a Docker descriptor over OCI content', Buffer.from(JSON.stringify({ ...good, mediaType: undefined })), /has no mediaType field/, 'application/vnd.docker.distribution.manifest.v2+json'],
    ['an index listed as a manifest', Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] })), /shaped as an index/],
  ];
}

describe('every signed manifest is read as Go reads it, or refused', () => {
  it('a top-level manifest that is not JSON, has a BOM, nests 100,000 deep, repeats or case-folds keys, or contradicts its descriptor: exit 2, nothing written, tar and directory', async () => {
    const count = hostileManifests(new LayoutBuilder(fresh('count'))).length;
    expect(count).toBe(9);
    const runs: Array<Promise<void>> = [];
    for (let i = 0; i < count; i++) {
      const dir = fresh('hostile');
      const b = new LayoutBuilder(dir);
      const [what, bytes, message, mediaType] = hostileManifests(b)[i]!;
      const blob = b.blob(mediaType ?? OCI_MANIFEST, bytes);
      b.addEntry({ ...blob, annotations: { 'org.opencontainers.image.ref.name': '1.0' } });
      b.writeIndex();
      const tar = b.tar(`${dir}.tar`);
      for (const input of [dir, tar]) {
        runs.push((async () => {
          const before = snapshot(input);
          const r = await runCliAsync(['sign', input, ...formatArgs('cosign-bundle', work)]);
          expect(r.code, `${what}: ${r.stderr}`).toBe(2);
          expectRefused(r, message);
          expect(snapshot(input), what).toEqual(before);
        })());
      }
    }
    await Promise.all(runs);
  }, SLOW);

  it('in every format alone (a repeated key in the top-level manifest), tar and directory', async () => {
    const runs: Array<Promise<void>> = [];
    for (const format of FORMATS) {
      const dir = fresh(`hostile-${format}`);
      const b = new LayoutBuilder(dir);
      const [, bytes, message] = hostileManifests(b)[4]!;
      const blob = b.blob(OCI_MANIFEST, bytes);
      b.addEntry({ ...blob, annotations: { 'org.opencontainers.image.ref.name': '1.0' } });
      b.writeIndex();
      const tar = b.tar(`${dir}.tar`);
      for (const input of [dir, tar]) {
        runs.push((async () => {
          const before = snapshot(input);
          const lookaside = join(work, `la-${++counter}`);
          mkdirSync(lookaside);
          const args = formatArgs(format, work).map((a) => (a === join(work, 'lookaside') ? lookaside : a));
          expectRefused(await runCliAsync(['sign', input, ...args]), message);
          expect(snapshot(input), `${format} ${input}`).toEqual(before);
          expect(readdirSync(lookaside), format).toEqual([]);
        })());
      }
    }
    await Promise.all(runs);
  }, SLOW);
});

/** A single image whose index.json entries name it in the given ways (one entry per annotation set). */
function namedImage(dir: string, entries: Array<Record<string, string>>, extraImages: Array<Record<string, string>> = []) {
  const b = new LayoutBuilder(dir);
  const image = platformImage(b, 'amd64');
  for (const annotations of entries) b.addEntry({ ...image, annotations });
  const others = extraImages.map((annotations) => {
    const other = platformImage(b, 'arm64');
    b.addEntry({ ...other, annotations });
    return other;
  });
  b.writeIndex();
  return { b, image, others };
}

describe('the identity comes from the operator', () => {
  it('cosign and gpg without --identity stop with exit 2 before writing, suggesting the layout\'s name (never signing it)', () => {
    for (const format of ['cosign', 'gpg'] as const) {
      const dir = fresh(`no-identity-${format}`);
      namedImage(dir, [{ 'io.containerd.image.name': 'evil.example/app:1', 'org.opencontainers.image.ref.name': '1' }]);
      const tar = new LayoutBuilder(dir).tar(`${dir}.tar`);
      for (const input of [dir, tar]) {
        const before = snapshot(input);
        const lookaside = join(work, `la-${++counter}`);
        const r = runCli(['sign', input, '--key', chain.keyPath, '--format', format, ...(format === 'gpg' ? ['--lookaside', lookaside] : []), '--json']);
        expectRefused(r, /--format (cosign|gpg) signs the registry reference .*give --identity .*\(the layout names this image evil\.example\/app:1; pass --identity evil\.example\/app:1 if/);
        const error = (JSON.parse(r.stdout) as { error: { code: string; details: { suggestion?: string } } }).error;
        expect(error.code).toBe('IDENTITY_REQUIRED');
        expect(error.details.suggestion).toBe('evil.example/app:1');
        expect(snapshot(input)).toEqual(before);
        expect(existsSync(lookaside)).toBe(false);
      }
    }
    // A full name as ref.name is suggested too; a bare tag is not a name.
    const dir = fresh('ref-name');
    namedImage(dir, [{ 'org.opencontainers.image.ref.name': 'registry.example/team/app:2' }]);
    expectRefused(runCli(['sign', dir, '--key', chain.keyPath, '--format', 'cosign']), /the layout names this image registry\.example\/team\/app:2/);
    const bare = fresh('bare-tag');
    namedImage(bare, [{ 'org.opencontainers.image.ref.name': '2' }]);
    const r = runCli(['sign', bare, '--key', chain.keyPath, '--format', 'cosign']);
    expectRefused(r, /give --identity registry\/repo\[:tag\]$/m);
  }, SLOW);

  it('-r only selects: another entry\'s name for the same digest is never signed nor suggested', () => {
    const dir = fresh('two-names');
    namedImage(dir, [
      { 'io.containerd.image.name': 'registry.example/app:1.4', 'org.opencontainers.image.ref.name': '1.4' },
      { 'io.containerd.image.name': 'registry.example/prod/payments:9', 'org.opencontainers.image.ref.name': '9' },
    ]);
    const refused = runCli(['sign', dir, '--key', chain.keyPath, '--format', 'cosign', '-r', 'registry.example/app:1.4']);
    expectRefused(refused, /the layout names this image registry\.example\/app:1\.4;/);
    expect(refused.stderr).not.toContain('payments');
    const r = runCli(['sign', dir, '--key', chain.keyPath, '--format', 'cosign', '-r', 'registry.example/app:1.4', '--identity', 'registry.example/app:1.4', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(r.stdout) as SigningRecord;
    expect(record.signatures.map((s) => s.identity)).toEqual(['registry.example/app:1.4']);
  }, SLOW);

  it('a reference two images answer to is refused whatever its spelling; the digest picks one', async () => {
    const dir = fresh('shared-tag');
    const { image, others } = namedImage(dir,
      [{ 'io.containerd.image.name': 'registry.example/app:1.4', 'org.opencontainers.image.ref.name': '1.4' }],
      [{ 'io.containerd.image.name': 'registry.example/other:1.4', 'org.opencontainers.image.ref.name': '1.4' }]);
    const before = snapshot(dir);
    await Promise.all(['1.4', 'registry.example/app:1.4', 'registry.example/other:1.4'].flatMap((reference) => ['cosign-bundle', 'cosign'].map(async (format) => {
      const r = await runCliAsync(['sign', dir, ...formatArgs(format, work), '-r', reference]);
      expectRefused(r, new RegExp(`reference "${reference.replace(/\./g, '\\.')}" matches 2 images: .*pick one by digest`));
    })));
    expect(snapshot(dir)).toEqual(before);
    for (const digest of [image.digest, others[0]!.digest]) {
      const r = runCli(['sign', dir, ...formatArgs('cosign', work), '-r', digest, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as SigningRecord).signatures[0]!.signedDescriptor.digest).toBe(digest);
    }
  }, SLOW);
});

describe('what is printed is what was signed', () => {
  it('platforms, tags and names holding escape sequences and line breaks are printed escaped by sign, inspect, strip and repack', () => {
    const dir = fresh('escapes');
    const b = new LayoutBuilder(dir);
    const amd64 = platformImage(b, 'amd64');
    const config = b.config('x');
    const evilPlatform = { architecture: `amd64${ESC}[2K${ESC}[1A`, os: 'linux\nsigned sha256:0000', variant: `v8\u009b31m` };
    const index = b.json(OCI_INDEX, {
      schemaVersion: 2, mediaType: OCI_INDEX,
      manifests: [{ ...amd64, platform: { architecture: 'amd64', os: 'linux' } }, { ...config, platform: evilPlatform }],
    });
    b.addEntry({ ...index, annotations: { 'org.opencontainers.image.ref.name': `1.0${ESC}]0;title\u0007`, 'io.containerd.image.name': `app\n  cosign ES256 over sha256:${'0'.repeat(64)}`, [`note${ESC}[8m`]: `x${ESC}[31m` } });
    b.writeIndex();
    const checkOutput = (r: CliResult, what: string) => {
      const all = r.stdout + r.stderr;
      // eslint-disable-next-line no-control-regex -- the point: no raw control character reaches the terminal
      expect(all.replace(/\n/g, ''), what).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      expect(all, what).not.toMatch(/^\s*(signed sha256:0000|cosign ES256 over)/m);
      return all;
    };
    const signed = runCli(['sign', dir, ...formatArgs('cosign-bundle', dir), '--recursive']);
    expect(signed.code, signed.stderr).toBe(0);
    const signText = checkOutput(signed, 'sign');
    expect(signText).toContain('amd64\\u001b[2K\\u001b[1A');
    expect(signText).toContain('linux\\nsigned sha256:0000');
    expect(signText).toContain('v8\\u009b31m');
    const inspected = runCli(['inspect', dir]);
    expect(inspected.code, inspected.stderr).toBe(0);
    const inspectText = checkOutput(inspected, 'inspect');
    expect(inspectText).toContain('1.0\\u001b]0;title\\u0007');
    expect(inspectText).toContain('app\\n  cosign ES256 over');
    const tar = b.tar(`${dir}.tar`);
    const layers = join(work, `layers-${counter}`);
    const stripped = runCli(['strip', tar, '-d', layers, '-r', index.digest]);
    expect(stripped.code, stripped.stderr).toBe(0);
    checkOutput(stripped, 'strip');
    const repacked = runCli(['repack', tar, '-d', layers, '-r', index.digest]);
    expect(repacked.code, repacked.stderr).toBe(0);
    checkOutput(repacked, 'repack');
    // An error naming the layout's text stays one escaped line too.
    const missing = runCli(['sign', dir, ...formatArgs('cosign-bundle', dir), '-r', `nope${ESC}[2J`]);
    expect(missing.code).toBe(2);
    checkOutput(missing, 'sign error');
  }, SLOW);
});
