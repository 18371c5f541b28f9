/**
 * `--format cosign` and `--format cosign-bundle` end to end with file keys on the generated
 * samples, checked by tools we did not write: openssl verifies each `.sig` layer with the public key
 * `airsign key export` writes, @sigstore/verify verifies each bundle offline, and the layout passes
 * the structural rules `cosign verify --local-image` applies. Also --identity, appending to an
 * existing `.sig`, and the bad inputs (invalid identity, no identity, a foreign `.sig` manifest).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { InspectReport } from '../../../src/operations/inspect.js';
import type { SigningRecord } from '../../../src/signing-record.js';
import { runCli } from '../../helpers/cli.js';
import { cosignLocalImage, extractTar, opensslVerifiesCosign, verifyBundleWithSigstoreJs } from '../../helpers/cosign-peers.js';
import { loadLikeOras } from '../../helpers/oras-rules.js';
import { listDir, readLayoutBlob, readLayoutIndex } from '../../helpers/sign-checks.js';
import { sha256File } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLES = new URL('../../../samples/', import.meta.url).pathname;
const SINGLE = 'sha256:442991fd3d5c31cb0e98399cadb4bb01ad7177aed8772ed1400372c2031f2e76';
const MULTI_INDEX = 'sha256:34f45d4c39e6d71056b72570e663e6ce49803e8bf9dcc9670ad6f81b5bf5fee8';
const MULTI_ARM64 = 'sha256:6f044d8dd89c30e6b6c1168d404a8735089e9fdffdaf09edd50ff4b08183f9dc';
const IDENTITY = '127.0.0.1:5000/team/app:v1';
const sigTag = (digest: string) => `${digest.replace(':', '-')}.sig`;

const work = tempDir('airsign-cosign-');
const keys: Record<string, { path: string; pub: string }> = {};
const GENPKEY: Record<string, string[]> = {
  'ec-p256': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'ec-p384': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  'rsa-3072': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'],
  ed25519: ['-algorithm', 'ED25519'],
};

beforeAll(() => {
  for (const [kind, args] of [...Object.entries(GENPKEY), ['other-p256', GENPKEY['ec-p256']!] as const]) {
    const path = join(work, `${kind}.pem`);
    execFileSync('openssl', ['genpkey', ...args, '-out', path], { stdio: 'ignore' });
    const exported = runCli(['key', 'export', path]);
    expect(exported.code, exported.stderr).toBe(0);
    keys[kind] = { path, pub: exported.stdout };
  }
}, 60_000);

let counter = 0;
function copySample(name: string): string {
  const dir = join(work, `case-${++counter}`);
  mkdirSync(dir);
  const path = join(dir, name);
  copyFileSync(join(SAMPLES, name), path);
  return path;
}

function sign(tar: string, key: string, extra: string[]) {
  return runCli(['sign', tar, '--key', keys[key]!.path, ...extra]);
}

type Payload = { critical: { identity: { 'docker-reference': string }; image: { 'docker-manifest-digest': string }; type: string }; optional: unknown };

describe.each(['ec-p256', 'ec-p384', 'rsa-3072', 'ed25519'])('%s key: cosign and cosign-bundle', (kind) => {
  it('every .sig layer verifies with openssl, every bundle with @sigstore/verify, and the layout passes cosign --local-image rules', () => {
    const tar = copySample('single.tar');
    const result = sign(tar, kind, ['--format', 'cosign', '--format', 'cosign-bundle', '--identity', IDENTITY, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const record = JSON.parse(result.stdout) as SigningRecord;
    expect(record.identity).toBe(IDENTITY);
    expect(record.signatures.map((s) => s.format)).toEqual(['cosign', 'cosign-bundle']);
    expect(record.signatures[0]!.identity).toBe(IDENTITY);

    const dir = extractTar(tar);
    const local = cosignLocalImage(dir);
    expect(local.target).toEqual({ digest: SINGLE, kind: 'dev.cosignproject.cosign/image' });
    expect(local.sigTag).toBe(sigTag(SINGLE));
    expect(local.signatures).toHaveLength(1);
    const { payload, signature } = local.signatures[0]!;
    expect(opensslVerifiesCosign(keys[kind]!.pub, payload, signature)).toBe(true);
    expect(opensslVerifiesCosign(keys['other-p256']!.pub, payload, signature)).toBe(false);
    // exactly cosign's key set and order, optional null without annotations
    expect(payload.toString('utf8')).toBe(`{"critical":{"identity":{"docker-reference":"${IDENTITY}"},"image":{"docker-manifest-digest":"${SINGLE}"},"type":"cosign container image signature"},"optional":null}`);

    expect(local.bundles).toHaveLength(1);
    const verified = verifyBundleWithSigstoreJs(local.bundles[0]!, keys[kind]!.pub);
    expect(verified.statement.subject.map((s) => `sha256:${s.digest.sha256}`)).toEqual([SINGLE]);
    expect(verified.statement.predicateType).toBe('https://sigstore.dev/cosign/sign/v1');
    expect(() => verifyBundleWithSigstoreJs(local.bundles[0]!, keys['other-p256']!.pub)).toThrow();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('cosign .sig', () => {
  it('writes the manifest, config and tag as cosign does; annotations go into optional', () => {
    const tar = copySample('single.tar');
    const result = sign(tar, 'ec-p256', ['--format', 'cosign', '--identity', 'app:1.4', '--annotation', 'b=2', '--annotation', 'a=<1>']);
    expect(result.code, result.stderr).toBe(0);
    const index = readLayoutIndex(tar);
    const entries = index.manifests.filter((m) => m.annotations?.['org.opencontainers.image.ref.name'] === sigTag(SINGLE));
    expect(entries).toHaveLength(1);
    expect(entries[0]!.annotations).toEqual({ 'org.opencontainers.image.ref.name': sigTag(SINGLE), kind: 'dev.cosignproject.cosign/sigs' });
    const manifestText = readLayoutBlob(tar, entries[0]!.digest).toString('utf8');
    const manifest = JSON.parse(manifestText) as { config: { digest: string }; layers: Array<{ digest: string; size: number; annotations: Record<string, string> }> };
    expect(manifestText).toMatch(/^\{"schemaVersion":2,"mediaType":"application\/vnd\.oci\.image\.manifest\.v1\+json","config":\{"mediaType":"application\/vnd\.oci\.image\.config\.v1\+json","size":\d+,"digest":"sha256:[a-f0-9]{64}"\},"layers":\[\{"mediaType":"application\/vnd\.dev\.cosign\.simplesigning\.v1\+json","size":\d+,"digest":"sha256:[a-f0-9]{64}","annotations":\{"dev\.cosignproject\.cosign\/signature":"[A-Za-z0-9+/=]+"\}\}\]\}$/);
    const layer = manifest.layers[0]!;
    expect(readLayoutBlob(tar, manifest.config.digest).toString('utf8')).toBe(
      `{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["${layer.digest}"]},"config":{}}`);
    const payload = JSON.parse(readLayoutBlob(tar, layer.digest).toString('utf8')) as Payload;
    expect(payload.critical.identity['docker-reference']).toBe('docker.io/library/app:1.4');
    expect(payload.optional).toEqual({ a: '<1>', b: '2' });
    expect(readLayoutBlob(tar, layer.digest).toString('utf8')).toContain('"optional":{"a":"\\u003c1\\u003e","b":"2"}');
    // the image's own entry gets cosign's kind, nothing else changes
    const image = index.manifests.find((m) => m.digest === SINGLE)!;
    expect(image.annotations?.kind).toBe('dev.cosignproject.cosign/image');
    expect(result.stderr).toContain(`oras cp --from-oci-layout ${tar}:${sigTag(SINGLE)} docker.io/library/app:${sigTag(SINGLE)}`);
    expect(result.stderr.split('\n').filter((l) => l.includes('oras cp --from-oci-layout'))).toHaveLength(1);
  });

  it('another signature is appended to the same .sig manifest; the same one again (same key and payload) is not', () => {
    const tar = copySample('single.tar');
    expect(sign(tar, 'ec-p256', ['--format', 'cosign', '--identity', IDENTITY]).code).toBe(0);
    expect(sign(tar, 'ec-p256', ['--format', 'cosign', '--identity', IDENTITY]).code).toBe(0); // cosign's DupeDetector: verifies already
    expect(sign(tar, 'rsa-3072', ['--format', 'cosign', '--identity', IDENTITY]).code).toBe(0);
    expect(sign(tar, 'ec-p256', ['--format', 'cosign', '--identity', `${IDENTITY}-other`]).code).toBe(0);
    const dir = extractTar(tar);
    const local = cosignLocalImage(dir);
    expect(local.signatures).toHaveLength(3);
    const verdicts = local.signatures.map((s) => [opensslVerifiesCosign(keys['ec-p256']!.pub, s.payload, s.signature), opensslVerifiesCosign(keys['rsa-3072']!.pub, s.payload, s.signature)]);
    expect(verdicts).toEqual([[true, false], [false, true], [true, false]]);
    expect(local.signatures.map((s) => (JSON.parse(s.payload.toString('utf8')) as Payload).critical.identity['docker-reference'])).toEqual([IDENTITY, IDENTITY, `${IDENTITY}-other`]);
    const index = readLayoutIndex(tar);
    expect(index.manifests.filter((m) => m.annotations?.['org.opencontainers.image.ref.name'] === sigTag(SINGLE))).toHaveLength(1);
    const manifest = JSON.parse(readLayoutBlob(tar, index.manifests.find((m) => m.annotations?.kind === 'dev.cosignproject.cosign/sigs')!.digest).toString('utf8')) as { config: { digest: string }; layers: unknown[] };
    const config = JSON.parse(readLayoutBlob(tar, manifest.config.digest).toString('utf8')) as { rootfs: { diff_ids: string[] }; history: unknown[] };
    expect(config.rootfs.diff_ids).toHaveLength(3);
    expect(config.history).toHaveLength(3);
    // the superseded .sig manifests and configs are gone: nothing unreferenced is left
    expect((JSON.parse(runCli(['inspect', tar, '--json']).stdout) as InspectReport).blobs.unreferenced).toEqual([]);
    const appendedDir = extractTar(copySample('single.tar'));
    for (const key of ['ec-p256', 'rsa-3072']) expect(runCli(['sign', appendedDir, '--key', keys[key]!.path, '--format', 'cosign', '--identity', IDENTITY]).code).toBe(0);
    expect(cosignLocalImage(appendedDir).signatures).toHaveLength(2);
    expect((JSON.parse(runCli(['inspect', appendedDir, '--json']).stdout) as InspectReport).blobs.unreferenced).toEqual([]);

    const ed = copySample('single.tar');
    expect(sign(ed, 'ed25519', ['--format', 'cosign', '--identity', IDENTITY]).code).toBe(0);
    const before = sha256File(ed);
    const again = sign(ed, 'ed25519', ['--format', 'cosign', '--identity', IDENTITY, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as SigningRecord).signatures[0]!.existing).toBe(true);
    expect(cosignLocalImage(extractTar(ed)).signatures).toHaveLength(1);
    expect(sha256File(ed)).toBe(before);
  });

  it('--recursive signs the index and each platform manifest; only the index .sig is kind=sigs; one oras line per tag', () => {
    const tar = copySample('multi.tar');
    const result = sign(tar, 'ec-p256', ['--format', 'cosign', '--format', 'cosign-bundle', '--recursive', '--identity', 'app:1.4', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('signed identity docker.io/library/app:1.4');
    const record = JSON.parse(result.stdout) as SigningRecord;
    expect(record.signatures).toHaveLength(6);
    const index = readLayoutIndex(tar);
    const tags = index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']).filter((t) => t?.endsWith('.sig'));
    expect(tags.sort()).toEqual([sigTag(MULTI_INDEX), sigTag(SINGLE), sigTag(MULTI_ARM64)].sort());
    expect(index.manifests.filter((m) => m.annotations?.kind === 'dev.cosignproject.cosign/sigs').map((m) => m.annotations?.['org.opencontainers.image.ref.name'])).toEqual([sigTag(MULTI_INDEX)]);
    for (const tag of [sigTag(MULTI_INDEX), sigTag(SINGLE), sigTag(MULTI_ARM64)]) {
      expect(result.stderr.split('\n').filter((l) => l.includes(`${tar}:${tag}`))).toHaveLength(1);
    }
    const local = cosignLocalImage(extractTar(tar));
    expect(local.target).toEqual({ digest: MULTI_INDEX, kind: 'dev.cosignproject.cosign/imageIndex' });
    // oras-go sees each bundle as a referrer of its subject
    const oras = loadLikeOras(tar);
    for (const subject of [MULTI_INDEX, SINGLE, MULTI_ARM64]) {
      const plain = oras.nodes().find((n) => n.digest === subject)!;
      const referrers = oras.referrers(plain).filter((r) => r.artifactType === 'application/vnd.dev.sigstore.bundle.v0.3+json');
      expect(referrers, subject).toHaveLength(1);
    }
    const inspect = runCli(['inspect', tar, '--json']);
    const report = JSON.parse(inspect.stdout) as InspectReport;
    expect(report.cosignSignatures.map((s) => [s.tag, s.identity, s.signedDigest]).sort()).toEqual(
      [MULTI_INDEX, SINGLE, MULTI_ARM64].map((d) => [sigTag(d), 'docker.io/library/app:1.4', d]).sort());
    expect(report.sigstoreBundles.map((b) => [b.subject, b.statementSubjects]).sort()).toEqual([MULTI_INDEX, SINGLE, MULTI_ARM64].map((d) => [d, [d]]).sort());
  });
});

describe('identity', () => {
  it('refuses an invalid --identity with one line, exit 2, nothing written', () => {
    const tar = copySample('single.tar');
    const before = sha256File(tar);
    const result = sign(tar, 'ec-p256', ['--format', 'cosign', '--identity', 'Registry.example/Team/App:1']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/not a valid image reference: the repository name must be lower case/);
    expect(sha256File(tar)).toBe(before);
    expect(listDir(join(tar, '..'))).toEqual(['single.tar']);
  });

  it('without --identity and without a full image name, refuses cosign naming --identity; the bundle alone needs none', () => {
    const tar = copySample('single.tar');
    const dir = extractTar(tar);
    const indexPath = join(dir, 'index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { manifests: Array<{ annotations?: Record<string, string> }> };
    for (const m of index.manifests) m.annotations = { 'org.opencontainers.image.ref.name': '1.4', 'io.containerd.image.name': 'app:1.4' };
    writeFileSync(indexPath, JSON.stringify(index));
    const before = readFileSync(indexPath);
    const refused = runCli(['sign', dir, '--key', keys['ec-p256']!.path, '--format', 'cosign-bundle', '--format', 'cosign']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/--format cosign .*--identity/);
    expect(readFileSync(indexPath).equals(before)).toBe(true);
    const bundleOnly = runCli(['sign', dir, '--key', keys['ec-p256']!.path, '--format', 'cosign-bundle']);
    expect(bundleOnly.code, bundleOnly.stderr).toBe(0);
    expect(bundleOnly.stderr).not.toContain('signed identity');
    const withIdentity = runCli(['sign', dir, '--key', keys['ec-p256']!.path, '--format', 'cosign', '--identity', IDENTITY]);
    expect(withIdentity.code, withIdentity.stderr).toBe(0);
    expect(withIdentity.stderr).toContain(`signed identity ${IDENTITY}`);
    expect(withIdentity.stderr).not.toContain('override with --identity');
  });

  it('refuses to append to a .sig manifest that is not cosign\'s: one line, exit 2, nothing written', () => {
    const tar = copySample('single.tar');
    const dir = extractTar(tar);
    const indexPath = join(dir, 'index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { manifests: Array<Record<string, unknown>> };
    // The image's own manifest, tagged as if it were the signature manifest.
    index.manifests.push({ ...index.manifests[0]!, annotations: { 'org.opencontainers.image.ref.name': sigTag(SINGLE) } });
    writeFileSync(indexPath, JSON.stringify(index));
    const before = readFileSync(indexPath);
    const blobsBefore = listDir(join(dir, 'blobs', 'sha256'));
    const result = runCli(['sign', dir, '--key', keys['ec-p256']!.path, '--format', 'cosign', '--reference', SINGLE, '--identity', IDENTITY]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/is not a cosign signature manifest: layer 0 is not application\/vnd\.dev\.cosign\.simplesigning\.v1\+json/);
    expect(readFileSync(indexPath).equals(before)).toBe(true);
    expect(listDir(join(dir, 'blobs', 'sha256'))).toEqual(blobsBefore);
  });
});
