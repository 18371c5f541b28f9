/**
 * `airsign sign` end to end with file keys on the generated samples: output readable by oras-go's
 * rules and skopeo, envelopes accepted by the independent Python verifier, records, --recursive,
 * directories, in-place replacement, RFC 3161 via a local TSA, and every bad input.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CborTag, decodeCbor } from '../../../src/formats/cbor.js';
import { verifyNotationEnvelope } from '../../../src/formats/notation/verify-envelope.js';
import { Annotation, MediaType } from '../../../src/media-types.js';
import type { SigningRecord } from '../../../src/signing-record.js';
import { runCli, runCliAsync, type CliResult } from '../../helpers/cli.js';
import { startLocalTsa, verifyTokenWithOpenssl, type LocalTsa } from '../../helpers/local-tsa.js';
import { loadLikeOras } from '../../helpers/oras-rules.js';
import { listDir, readLayoutBlob, readLayoutIndex, verifyWithPython } from '../../helpers/sign-checks.js';
import { makeTestChain, type TestChain } from '../../helpers/sign-fixtures.js';
import { sha256File } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLES = new URL('../../../samples/', import.meta.url).pathname;
const SINGLE_DIGEST = 'sha256:442991fd3d5c31cb0e98399cadb4bb01ad7177aed8772ed1400372c2031f2e76';
const MULTI_INDEX = 'sha256:34f45d4c39e6d71056b72570e663e6ce49803e8bf9dcc9670ad6f81b5bf5fee8';
const MULTI_AMD64 = SINGLE_DIGEST;
const MULTI_ARM64 = 'sha256:6f044d8dd89c30e6b6c1168d404a8735089e9fdffdaf09edd50ff4b08183f9dc';
const MULTI_ATTESTATIONS = [
  'sha256:796f6e481fd4e3f7d206e82cddb577390bad34bcfb5c817497b4fb7d6578144d',
  'sha256:8819a1b9445f462d6e628ec8f5faa21ae18501266ddf2672f824bbd7f2a5c970',
];

const work = tempDir('airsign-sign-cli-');
let ec: TestChain;
let rsa: TestChain;

beforeAll(() => {
  ec = makeTestChain('ec-p256');
  rsa = makeTestChain('rsa-3072');
});

function freshDir(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function copySample(dir: string, name: string): string {
  const path = join(dir, name);
  copyFileSync(join(SAMPLES, name), path);
  return path;
}

function expectSuccess(result: CliResult): void {
  if (result.code !== 0) throw new Error(`airsign exited ${result.code}: ${result.stderr}`);
}

describe('sign a full tar into --output with both Notation formats', () => {
  let dir: string;
  let input: string;
  let output: string;
  let before: string;
  let result: CliResult;
  let record: SigningRecord;

  beforeAll(() => {
    dir = freshDir('full');
    input = copySample(dir, 'single.tar');
    output = join(dir, 'signed.tar');
    before = sha256File(input);
    result = runCli(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '--format', 'notation-cose',
      '--output', output, '--record', join(dir, 'record.json'), '--json', '--annotation', 'com.example.build=42']);
    expectSuccess(result);
    record = JSON.parse(readFileSync(join(dir, 'record.json'), 'utf8')) as SigningRecord;
  });

  it('prints the record with --json and writes the same record file; leaves the input alone', () => {
    expect(JSON.parse(result.stdout)).toEqual(record);
    expect(sha256File(input)).toBe(before);
    expect(record.signatures.map((s) => s.format)).toEqual(['notation', 'notation-cose']);
    for (const s of record.signatures) {
      expect(s.signedDescriptor).toEqual({ mediaType: MediaType.OciManifest, digest: SINGLE_DIGEST, size: 666 });
      expect(s.publicKeyFingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(s.certificateThumbprints).toHaveLength(2);
      expect(s.algorithm).toBe('ES256');
      expect(s.signingTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(s.toolVersion).toBe(JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version);
    }
    expect(record.key).toBe(ec.keyPath);
  });

  it('adds untagged index.json entries that oras-go rules list as referrers of the image', () => {
    const index = readLayoutIndex(output);
    const added = index.manifests.slice(1);
    expect(added.map((m) => m.digest)).toEqual(record.signatures.map((s) => s.signatureManifest!.digest));
    for (const entry of added) expect(entry.annotations?.[Annotation.RefName]).toBeUndefined();
    const oras = loadLikeOras(output);
    const image = oras.resolve('1.4');
    expect(image.digest).toBe(SINGLE_DIGEST);
    const referrers = oras.referrers({ mediaType: image.mediaType, digest: image.digest, size: image.size });
    expect(referrers.map((r) => r.digest).sort()).toEqual(record.signatures.map((s) => s.signatureManifest!.digest).sort());
  });

  it('keeps the tar readable by skopeo (by tag)', () => {
    const out = JSON.parse(execFileSync('skopeo', ['inspect', `oci-archive:${output}:1.4`], { encoding: 'utf8' })) as { Digest: string };
    expect(out.Digest).toBe(SINGLE_DIGEST);
  });

  it('writes envelopes the independent Python verifier accepts (chain to the root, descriptor, alg)', () => {
    for (const s of record.signatures) {
      const envelope = readLayoutBlob(output, s.signature.digest);
      const line = verifyWithPython(envelope, { root: ec.rootPath, descriptor: { ...s.signedDescriptor, annotations: { 'com.example.build': '42' } }, alg: 'ES256', dir });
      expect(line).toMatch(/^OK (JWS|COSE) ES256$/);
    }
  });

  it('keeps every original blob and adds config, envelopes and manifests', () => {
    const list = (tar: string) => execFileSync('tar', ['-tf', tar], { encoding: 'utf8' }).trim().split('\n').filter((n) => n.startsWith('blobs/sha256/') && n.length > 14);
    const original = list(input);
    const signed = list(output);
    for (const name of original) expect(signed).toContain(name);
    expect(signed.length).toBe(original.length + 5); // {} once, 2 envelopes, 2 manifests
  });
});

describe('other inputs', () => {
  it('replaces the input tar atomically when there is no --output, leaving no temp file', () => {
    const dir = freshDir('in-place');
    const input = copySample(dir, 'single.tar');
    const before = sha256File(input);
    expectSuccess(runCli(['sign', input, '--key', rsa.keyPath, '--cert', rsa.chainPath, '--format', 'notation']));
    expect(sha256File(input)).not.toBe(before);
    expect(listDir(dir)).toEqual(['single.tar']);
    expect(loadLikeOras(input).referrers({ mediaType: MediaType.OciManifest, digest: SINGLE_DIGEST, size: 666 })).toHaveLength(1);
    // Signing again adds a second signature; the shared config blob {} is not written twice.
    expectSuccess(runCli(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation']));
    const names = execFileSync('tar', ['-tf', input], { encoding: 'utf8' }).trim().split('\n');
    expect(new Set(names).size).toBe(names.length);
    expect(loadLikeOras(input).referrers({ mediaType: MediaType.OciManifest, digest: SINGLE_DIGEST, size: 666 })).toHaveLength(2);
    expect(listDir(dir)).toEqual(['single.tar']);
  });

  it('signs a layout directory in place', () => {
    const dir = freshDir('directory');
    const layout = join(dir, 'layout');
    mkdirSync(layout);
    execFileSync('tar', ['-xf', join(SAMPLES, 'single.tar'), '-C', layout]);
    const result = runCli(['sign', layout, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation-cose', '--json']);
    expectSuccess(result);
    const record = JSON.parse(result.stdout) as SigningRecord;
    const manifest = record.signatures[0]!.signatureManifest!;
    expect(existsSync(join(layout, 'blobs', 'sha256', manifest.digest.slice(7)))).toBe(true);
    const oras = loadLikeOras(layout);
    expect(oras.referrers({ mediaType: MediaType.OciManifest, digest: SINGLE_DIGEST, size: 666 }).map((r) => r.digest)).toEqual([manifest.digest]);
  });

  it('--recursive signs the index and both platform manifests but not the attestations', () => {
    const dir = freshDir('recursive');
    const input = copySample(dir, 'multi.tar');
    const result = runCli(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '--recursive', '--reference', '1.4', '--json']);
    expectSuccess(result);
    const record = JSON.parse(result.stdout) as SigningRecord;
    const signed = record.signatures.map((s) => s.signedDescriptor.digest);
    expect(signed).toEqual([MULTI_INDEX, MULTI_AMD64, MULTI_ARM64]);
    const oras = loadLikeOras(input);
    for (const s of record.signatures) {
      // (buildx attestation manifests with a subject are referrers too)
      expect(oras.referrers(s.signedDescriptor).map((r) => r.digest)).toContain(s.signatureManifest!.digest);
    }
    for (const attestation of MULTI_ATTESTATIONS) expect(signed).not.toContain(attestation);
  });

  it('--include-attestations also signs the attestation manifests', () => {
    const dir = freshDir('recursive-att');
    const input = copySample(dir, 'multi.tar');
    const result = runCli(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '--recursive', '--include-attestations',
      '--reference', 'docker.io/library/app:latest', '--json']);
    expectSuccess(result);
    const signed = (JSON.parse(result.stdout) as SigningRecord).signatures.map((s) => s.signedDescriptor.digest);
    expect(signed).toEqual(expect.arrayContaining([MULTI_INDEX, MULTI_AMD64, MULTI_ARM64, ...MULTI_ATTESTATIONS]));
    expect(signed).toHaveLength(5);
  });

  it('without --recursive signs only the index a tag selects', () => {
    const dir = freshDir('index-only');
    const input = copySample(dir, 'multi.tar');
    const result = runCli(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '--reference', 'latest', '--json']);
    expectSuccess(result);
    expect((JSON.parse(result.stdout) as SigningRecord).signatures.map((s) => s.signedDescriptor)).toEqual([
      { mediaType: MediaType.OciIndex, digest: MULTI_INDEX, size: 1607 },
    ]);
  });

  it('--recursive skips index children that are not in the layout, with a note each (hello-world: 1 of 11 present)', () => {
    const dir = freshDir('missing-children');
    const input = join(dir, 'hw.tar');
    copyFileSync(new URL('../../fixtures/layout/hello-world.tar', import.meta.url).pathname, input);
    const result = runCli(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '--recursive', '--json']);
    expectSuccess(result);
    const record = JSON.parse(result.stdout) as SigningRecord;
    expect(record.signatures).toHaveLength(2);
    expect(record.notes).toHaveLength(10);
    for (const note of record.notes) expect(note).toMatch(/^skipped .+ \(sha256:[0-9a-f]{64}\): its manifest is not in the layout$/);
    const text = runCli(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '--recursive', '--output', join(dir, 'again.tar')]);
    expectSuccess(text);
    expect(text.stdout).toMatch(/note: skipped windows\/amd64/);
  });

  it('--notation-manifest oci-1.1 writes artifactType manifests that oras-go rules still find', () => {
    const dir = freshDir('oci11');
    const input = copySample(dir, 'single.tar');
    const result = runCli(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '--notation-manifest', 'oci-1.1', '--json']);
    expectSuccess(result);
    const s = (JSON.parse(result.stdout) as SigningRecord).signatures[0]!;
    const manifest = JSON.parse(readLayoutBlob(input, s.signatureManifest!.digest).toString('utf8')) as { artifactType?: string; config: { mediaType: string } };
    expect(manifest.artifactType).toBe(MediaType.NotarySignature);
    expect(manifest.config.mediaType).toBe(MediaType.OciEmpty);
    const referrers = loadLikeOras(input).referrers({ mediaType: MediaType.OciManifest, digest: SINGLE_DIGEST, size: 666 });
    expect(referrers.map((r) => [r.digest, r.artifactType])).toEqual([[s.signatureManifest!.digest, MediaType.NotarySignature]]);
  });

  it('--expiry and --annotation end up in the signed envelope', () => {
    const dir = freshDir('expiry');
    const input = copySample(dir, 'single.tar');
    const result = runCli(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '--expiry', '30d', '--annotation', 'a=b', '--json']);
    expectSuccess(result);
    const s = (JSON.parse(result.stdout) as SigningRecord).signatures[0]!;
    const env = verifyNotationEnvelope(MediaType.Jws, readLayoutBlob(input, s.signature.digest));
    expect(env.expiry!.getTime() - env.signingTime.getTime()).toBe(30 * 86400_000);
    expect(env.payload.targetArtifact.annotations).toEqual({ a: 'b' });
    expect(s.expiry).toBeDefined();
  });
});

describe('--tsa with a local RFC 3161 server', () => {
  let tsa: LocalTsa;
  beforeAll(async () => {
    tsa = await startLocalTsa();
  });
  afterAll(async () => {
    await tsa?.close();
  });

  it('embeds a token over the raw signature that openssl ts -verify accepts (both formats)', async () => {
    tsa.mode = 'ok';
    const dir = freshDir('tsa');
    const input = copySample(dir, 'single.tar');
    const result = await runCliAsync(['sign', input, '--key', rsa.keyPath, '--cert', rsa.chainPath, '--format', 'notation', '--format', 'notation-cose',
      '--tsa', tsa.url, '--tsa-root-cert', tsa.rootPath, '--json']);
    expectSuccess(result);
    const record = JSON.parse(result.stdout) as SigningRecord;
    expect(record.signatures).toHaveLength(2);
    for (const s of record.signatures) {
      expect(s.timestamped).toBe(true);
      const bytes = readLayoutBlob(input, s.signature.digest);
      const env = verifyNotationEnvelope(s.signature.mediaType, bytes);
      const raw = s.signature.mediaType === MediaType.Jws
        ? Buffer.from((JSON.parse(bytes.toString('utf8')) as { signature: string }).signature, 'base64url')
        : rawCoseSignature(bytes);
      expect(verifyTokenWithOpenssl(tsa, raw, env.timestampToken!)).toMatch(/Verification: OK/);
    }
  });

  it('a TSA failure fails the command: exit 2, one line, input untouched, nothing written', async () => {
    tsa.mode = 'http-500';
    const dir = freshDir('tsa-fail');
    const input = copySample(dir, 'single.tar');
    const before = sha256File(input);
    const result = await runCliAsync(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '--tsa', tsa.url,
      '--tsa-root-cert', tsa.rootPath, '--output', join(dir, 'out.tar'), '--record', join(dir, 'rec.json')]);
    tsa.mode = 'ok';
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^airsign: error: .*HTTP 500\n$/);
    expect(sha256File(input)).toBe(before);
    expect(listDir(dir)).toEqual(['single.tar']);
  });

  it('a TSA nobody answers at is exit 69 (unavailable, not bad input): one line, input untouched, nothing written', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const dir = freshDir('tsa-unreachable');
    const input = copySample(dir, 'single.tar');
    const before = sha256File(input);
    const result = await runCliAsync(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation',
      '--tsa', `http://127.0.0.1:${port}/`, '--tsa-root-cert', tsa.rootPath, '--output', join(dir, 'out.tar'), '--json']);
    expect(result.code).toBe(69);
    expect(result.stderr).toMatch(/^airsign: error: cannot reach the TSA at [^\n]*\n$/);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'TSA_UNREACHABLE', kind: 'unavailable' } });
    expect(sha256File(input)).toBe(before);
    expect(listDir(dir)).toEqual(['single.tar']);
  });

  it('--tsa needs the TSA root; --tsa-cert is an alias of --tsa-root-cert', async () => {
    const dir = freshDir('tsa-root');
    const input = copySample(dir, 'single.tar');
    const before = sha256File(input);
    const requests = tsa.requests;
    const missing = await runCliAsync(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '--tsa', tsa.url, '--json']);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 'TSA_ROOT_REQUIRED' } });
    expect(tsa.requests).toBe(requests);
    expect(sha256File(input)).toBe(before);
    const alias = await runCliAsync(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '--tsa', tsa.url,
      '--tsa-cert', tsa.rootPath, '--json']);
    expectSuccess(alias);
    expect(tsa.requests).toBe(requests + 1);
  });

  // Tokens Notation would refuse: the command fails with exit 2, nothing is written.
  const faults: Array<[LocalTsa['mode'], string]> = [
    ['wide-accuracy', 'TSA_TIME_OUTSIDE_VALIDITY'],
    ['other-root', 'TSA_TOKEN_UNTRUSTED'],
    ['ess-v1', 'TSA_ESS_MISSING'],
    ['sha1', 'TSA_WEAK_ALGORITHM'],
    ['eku-not-critical', 'TSA_CERT_EKU'],
  ];
  for (const [mode, code] of faults) {
    it(`a TSA token with fault ${mode} → exit 2 ${code}, nothing written`, async () => {
      const dir = freshDir(`tsa-${mode}`);
      const input = copySample(dir, 'single.tar');
      const before = sha256File(input);
      tsa.mode = mode;
      const result = await runCliAsync(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '--tsa', tsa.url,
        '--tsa-root-cert', tsa.rootPath, '--record', join(dir, 'rec.json'), '--json']);
      tsa.mode = 'ok';
      expect(result.code, result.stderr).toBe(2);
      expect(JSON.parse(result.stdout)).toMatchObject({ error: { code, kind: 'input' } });
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(sha256File(input)).toBe(before);
      expect(listDir(dir)).toEqual(['single.tar']);
    });
  }
});

function rawCoseSignature(bytes: Uint8Array): Uint8Array {
  // COSE_Sign1 = tag 18 [protected, unprotected, payload, signature].
  const tagged = decodeCbor(bytes) as CborTag;
  return (tagged.value as Uint8Array[])[3]!;
}

describe('bad input: one line, exit code, input untouched, no output, no record, no temp files', () => {
  let ed: TestChain;
  let strippedNoManifest: string;
  beforeAll(() => {
    ed = makeTestChain('ed25519');
    // A "stripped" tar that lacks even the image manifest.
    const dir = freshDir('broken-src');
    execFileSync('tar', ['-xf', join(SAMPLES, 'single.tar'), '-C', dir]);
    rmSync(join(dir, 'blobs', 'sha256', SINGLE_DIGEST.slice(7)));
    strippedNoManifest = join(work, 'no-manifest.tar');
    execFileSync('tar', ['--format=ustar', '-cf', strippedNoManifest, '-C', dir, 'oci-layout', 'index.json', 'blobs']);
  });

  const cases: Array<{ name: string; args: () => string[]; code: number; message: RegExp; input?: () => string }> = [
    { name: 'no --format', args: () => ['--key', ec.keyPath, '--cert', ec.chainPath], code: 2, message: /--format/ },
    { name: 'an unknown --format', args: () => ['--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notary'], code: 2, message: /unknown signature format "notary" \(known: notation, notation-cose/ },
    { name: 'no --key', args: () => ['--format', 'notation'], code: 2, message: /--key/ },
    { name: 'an Ed25519 key for notation', args: () => ['--key', ed.keyPath, '--cert', ed.chainPath, '--format', 'notation'], code: 3, message: /Ed25519|ed25519/ },
    { name: 'a certificate for another key', args: () => ['--key', ec.keyPath, '--cert', rsa.chainPath, '--format', 'notation'], code: 3, message: /not for (this|the signing) key/ },
    { name: 'a key without a certificate', args: () => ['--key', ec.keyPath, '--format', 'notation-cose'], code: 3, message: /certificate/ },
    { name: 'a wrong --reference', args: () => ['--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '--reference', 'registry.example/app:9.9'], code: 2, message: /9\.9/ },
    { name: 'a bad --expiry', args: () => ['--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '--expiry', 'soon'], code: 2, message: /--expiry/ },
    { name: 'a bad --annotation', args: () => ['--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '--annotation', 'novalue'], code: 2, message: /--annotation/ },
    { name: 'a reserved io.cncf.notary. --annotation', args: () => ['--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '--annotation', 'io.cncf.notary.signingTime=x'], code: 2, message: /reserved io\.cncf\.notary\.\* namespace/ },
    { name: '--tsa-root-cert without --tsa', args: () => ['--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '--tsa-root-cert', ec.rootPath], code: 2, message: /--tsa-root-cert only applies with --tsa/ },
    { name: 'a bad --tsa URL', args: () => ['--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '--tsa', 'ftp://tsa'], code: 2, message: /--tsa/ },
    { name: 'a missing key file', args: () => ['--key', join(work, 'nope.pem'), '--cert', ec.chainPath, '--format', 'notation'], code: 3, message: /nope\.pem/ },
    { name: 'a stripped tar that lacks the manifest', args: () => ['--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation'], code: 2, message: /442991fd|manifest|missing/i, input: () => strippedNoManifest },
  ];

  for (const c of cases) {
    it(`${c.name} → exit ${c.code}`, () => {
      const dir = freshDir(`bad-${c.name.replace(/\W+/g, '-')}`);
      const input = c.input === undefined ? copySample(dir, 'single.tar') : (copyFileSync(c.input(), join(dir, 'in.tar')), join(dir, 'in.tar'));
      const before = sha256File(input);
      const names = listDir(dir);
      const result = runCli(['sign', input, ...c.args(), '--output', join(dir, 'out.tar'), '--record', join(dir, 'rec.json')]);
      expect(result.code, result.stderr).toBe(c.code);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines[0]).toMatch(c.message);
      expect(lines, result.stderr).toHaveLength(1); // usage errors too: one line
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(sha256File(input)).toBe(before);
      expect(listDir(dir)).toEqual(names);
    });
  }

  it('a --record path in a missing directory → exit 2 before anything is signed', () => {
    const dir = freshDir('bad-record');
    const input = copySample(dir, 'single.tar');
    const before = sha256File(input);
    const result = runCli(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '--record', join(dir, 'no', 'rec.json')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^airsign: error: cannot write the record .*\n$/);
    expect(sha256File(input)).toBe(before);
    expect(listDir(dir)).toEqual(['single.tar']);
  });

  it('stdin is refused (sign rewrites a file or directory)', () => {
    const result = runCli(['sign', '-', '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation'], { input: readFileSync(join(SAMPLES, 'single.tar')) });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not stdin/);
  });

  it('an encrypted key file: the right passphrase signs, a wrong one → exit 3; the passphrase is never printed', () => {
    const dir = freshDir('encrypted-key');
    const input = copySample(dir, 'single.tar');
    const secret = 'correct-horse-7731';
    const keyPath = join(work, 'enc.key');
    execFileSync('openssl', ['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', ec.keyPath, '-out', keyPath, '-passout', `pass:${secret}`]);
    const good = runCli(['sign', input, '--key', keyPath, '--cert', ec.chainPath, '--format', 'notation', '--json'], { env: { ...process.env, AIRSIGN_KEY_PASSWORD: secret } });
    expectSuccess(good);
    expect(good.stdout + good.stderr).not.toContain(secret);
    const before = sha256File(input);
    const bad = runCli(['sign', input, '--key', keyPath, '--cert', ec.chainPath, '--format', 'notation', '--json'], { env: { ...process.env, AIRSIGN_KEY_PASSWORD: 'wrong-battery-1' } });
    expect(bad.code).toBe(3);
    expect(bad.stdout + bad.stderr).not.toContain('wrong-battery-1');
    expect(sha256File(input)).toBe(before);
  });

  it('--json errors are one JSON document with code and kind', () => {
    const dir = freshDir('bad-json');
    const input = copySample(dir, 'single.tar');
    const result = runCli(['sign', input, '--key', ed.keyPath, '--cert', ed.chainPath, '--format', 'notation', '--json']);
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { kind: 'key', code: 'NOTATION_KEY_UNSUPPORTED' } });
  });

  it('--help lists the options and examples', () => {
    const result = runCli(['sign', '--help']);
    expect(result.code).toBe(0);
    for (const option of ['--key', '--format', '--cert', '--reference', '--recursive', '--annotation', '--expiry', '--tsa', '--tsa-root-cert', '--notation-manifest', '--output', '--record']) {
      expect(result.stdout).toContain(option);
    }
    expect(result.stdout).toMatch(/Examples:/);
  });
});
