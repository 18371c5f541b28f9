/**
 * The round trip a release takes: the sample signed in all five formats (one SoftHSM P-256 key)
 * is pushed to docker-registry with orascheck (oras cp -r from oras-go; the `.sig` tag separately,
 * as sign prints), pulled back into a layout directory (`oras cp -r --to-oci-layout`), and
 * `airsign verify <dir>` with the same trust policy, keys, keyring and lookaside — or a containers
 * policy.json — passes. Then the registry copy is tampered with through the registry's HTTP API
 * (the tag re-pointed, the `.sig` manifest replaced, a bundle blob replaced, a referrer dropped, the
 * Notation envelopes replaced) and a fresh pull fails with exit 1 and the reason. orascheck is
 * named by AIRSIGN_ORASCHECK (.ci/run builds it); without it this file is skipped.
 */
import { execFileSync } from 'node:child_process';
import { sign as cryptoSign } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SigningRecord } from '../../../src/signing-record.js';
import { runCli } from '../../helpers/cli.js';
import { startRegistry, type LocalRegistry } from '../../helpers/docker-registry.js';
import { makeTestChain } from '../../helpers/sign-fixtures.js';
import { createSoftHsm, exportPublicKeyWithP11tool, type SoftHsm } from '../../helpers/softhsm.js';
import { sha256Digest } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const ORASCHECK = process.env.AIRSIGN_ORASCHECK;
const SAMPLES = new URL('../../../samples/', import.meta.url).pathname;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const NOTATION_TYPE = 'application/vnd.cncf.notary.signature';

interface Report {
  verified: boolean;
  requirements: Array<{ format: string; satisfied: boolean; reason: string }>;
  signatures: Array<{ format: string; verdict: string; reason: string }>;
}
interface Descriptor { mediaType: string; digest: string; size: number; artifactType?: string; annotations?: Record<string, string> }

const work = tempDir('airsign-verify-roundtrip-');
let hsm: SoftHsm;
let registry: LocalRegistry;
let repo: string;
let identity: string;
let image: string;
let sigTag: string;
let material: string[];
let policyArgs: string[];
let otherKey: string;

/** The registry's HTTP API for repository team/app. */
const api = {
  url: (path: string) => `http://${registry.host}/v2/team/app/${path}`,
  async manifest(reference: string, accept = `${OCI_MANIFEST}, ${OCI_INDEX}`): Promise<Buffer> {
    const response = await fetch(api.url(`manifests/${reference}`), { headers: { Accept: accept } });
    expect(response.status, `GET manifest ${reference}`).toBe(200);
    return Buffer.from(await response.arrayBuffer());
  },
  async blob(digest: string): Promise<Buffer> {
    const response = await fetch(api.url(`blobs/${digest}`));
    expect(response.status, `GET blob ${digest}`).toBe(200);
    return Buffer.from(await response.arrayBuffer());
  },
  async putManifest(reference: string, mediaType: string, bytes: Uint8Array): Promise<void> {
    const response = await fetch(api.url(`manifests/${reference}`), { method: 'PUT', headers: { 'Content-Type': mediaType }, body: bytes });
    expect(response.status, `PUT manifest ${reference}: ${await response.text()}`).toBe(201);
  },
  async putBlob(bytes: Uint8Array): Promise<Descriptor & { digest: string }> {
    const start = await fetch(api.url('blobs/uploads/'), { method: 'POST' });
    expect(start.status).toBe(202);
    const location = new URL(start.headers.get('location')!, `http://${registry.host}`);
    const digest = sha256Digest(bytes);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body: bytes });
    expect(put.status, `PUT blob: ${await put.text()}`).toBe(201);
    return { mediaType: 'application/octet-stream', digest, size: bytes.length };
  },
};

/** A fresh `oras cp -r --to-oci-layout` of repo:v1, plus the `.sig` tag of the image (when it exists). */
function pull(name: string, withSig = true): string {
  const dir = join(work, name);
  mkdirSync(dir);
  execFileSync(ORASCHECK!, ['pull', `${repo}:v1`, `${dir}:v1`], { stdio: 'pipe' });
  if (withSig) execFileSync(ORASCHECK!, ['pull', `${repo}:${sigTag}`, `${dir}:${sigTag}`], { stdio: 'pipe' });
  return dir;
}

function verify(dir: string, args: string[]): { code: number; report: Report; stderr: string } {
  const r = runCli(['verify', dir, '--reference', 'v1', '--identity', identity, ...args, '--json'], { env: hsm.env });
  return { code: r.code, report: (r.stdout ? JSON.parse(r.stdout) : undefined) as Report, stderr: r.stderr };
}

const ALL = ['--format', 'notation', '--format', 'cosign', '--format', 'cosign-bundle', '--format', 'gpg'];

/** Replaces, in the referrers index of the image (tag schema `sha256-<hex>`), every referrer of `artifactType` by `replace(manifest)` (or drops it). */
async function rewriteReferrers(artifactType: string, replace: ((manifest: Record<string, unknown>) => Promise<Descriptor>) | 'drop'): Promise<void> {
  const tag = image.replace(':', '-');
  const index = JSON.parse((await api.manifest(tag, OCI_INDEX)).toString('utf8')) as { manifests: Descriptor[] };
  const kept: Descriptor[] = [];
  let touched = 0;
  for (const d of index.manifests) {
    // oras-go 2.2 lists an image manifest's config media type as its artifactType: read the manifest.
    const manifest = JSON.parse((await api.manifest(d.digest)).toString('utf8')) as Record<string, unknown>;
    if ((manifest.artifactType ?? (manifest.config as Descriptor).mediaType) !== artifactType) {
      kept.push(d);
      continue;
    }
    touched++;
    if (replace !== 'drop') kept.push({ ...(await replace(manifest)), ...(d.artifactType === undefined ? {} : { artifactType: d.artifactType }) });
  }
  expect(touched, artifactType).toBeGreaterThan(0);
  await api.putManifest(tag, OCI_INDEX, Buffer.from(JSON.stringify({ ...index, manifests: kept })));
}

/** Puts `manifest` with its first layer's blob replaced by `bytes`; returns its descriptor (for the referrers index). */
async function withLayer(manifest: Record<string, unknown>, bytes: Uint8Array): Promise<Descriptor> {
  const layers = manifest.layers as Descriptor[];
  const blob = await api.putBlob(bytes);
  const next = { ...manifest, layers: [{ ...layers[0]!, digest: blob.digest, size: blob.size }, ...layers.slice(1)] };
  const manifestBytes = Buffer.from(JSON.stringify(next));
  const digest = sha256Digest(manifestBytes);
  await api.putManifest(digest, OCI_MANIFEST, manifestBytes);
  return { mediaType: OCI_MANIFEST, digest, size: manifestBytes.length, artifactType: manifest.artifactType as string, ...(manifest.annotations ? { annotations: manifest.annotations as Record<string, string> } : {}) };
}

describe.skipIf(ORASCHECK === undefined || !existsSync(ORASCHECK))('signed → pushed → pulled → verified, and tampered in the registry (AIRSIGN_ORASCHECK)', () => {
  let originalTagManifest: Buffer;
  let originalSig: Buffer;
  let originalReferrers: Buffer;

  beforeAll(async () => {
    hsm = createSoftHsm([{ label: 'airsign-test', keys: [{ type: 'EC:prime256v1', id: '01', label: 'ec-p256' }] }]);
    const publicKeyPem = exportPublicKeyWithP11tool(hsm, 'airsign-test', 'ec-p256');
    const chain = makeTestChain('ec-p256', { publicKeyPem });
    registry = await startRegistry();
    repo = `${registry.host}/team/app`;
    identity = `${repo}:v1`;
    const cosignPub = join(work, 'cosign.pub');
    writeFileSync(cosignPub, publicKeyPem);
    otherKey = join(work, 'other.key');
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', otherKey]);
    const key = `pkcs11:token=airsign-test;object=ec-p256?module-path=${hsm.module}&pin-value=${hsm.pin}`;
    const keyring = join(work, 'pub.gpg');
    expect(runCli(['key', 'export', key, '--as', 'openpgp', '--user-id', 'Release <release@example.com>', '-o', keyring], { env: hsm.env }).code).toBe(0);
    const store = join(work, 'truststore');
    mkdirSync(join(store, 'x509', 'ca', 'test'), { recursive: true });
    copyFileSync(chain.rootPath, join(store, 'x509', 'ca', 'test', 'root.pem'));
    const trustPolicy = join(work, 'trustpolicy.json');
    writeFileSync(trustPolicy, JSON.stringify({
      version: '1.0',
      trustPolicies: [{ name: 'app', registryScopes: [repo], signatureVerification: { level: 'strict' }, trustStores: ['ca:test'], trustedIdentities: ['*'] }],
    }));
    const lookaside = join(work, 'lookaside');
    material = ['--trust-policy', trustPolicy, '--trust-store', store, '--key', cosignPub, '--keyring', keyring, '--lookaside', lookaside];
    const policy = join(work, 'policy.json');
    writeFileSync(policy, JSON.stringify({
      default: [{ type: 'reject' }],
      transports: { docker: { [repo]: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: keyring }, { type: 'sigstoreSigned', keyPath: cosignPub }] } },
    }));
    policyArgs = ['--policy', policy, '--lookaside', lookaside, '--trust-policy', trustPolicy, '--trust-store', store, '--key', cosignPub];

    const tar = join(work, 'single.tar');
    copyFileSync(join(SAMPLES, 'single.tar'), tar);
    const signed = runCli(['sign', tar, '--key', key, '--cert', chain.chainPath, '--identity', identity, '--lookaside', lookaside,
      '--format', 'notation', '--format', 'notation-cose', '--format', 'cosign', '--format', 'cosign-bundle', '--format', 'gpg', '--json'], { env: hsm.env });
    expect(signed.code, signed.stderr).toBe(0);
    const record = JSON.parse(signed.stdout) as SigningRecord;
    image = record.signatures[0]!.signedDescriptor.digest;
    sigTag = `${image.replace(':', '-')}.sig`;
    execFileSync(ORASCHECK!, ['push', `${tar}:1.4`, `${repo}:v1`], { stdio: 'pipe' });
    execFileSync(ORASCHECK!, ['push', `${tar}:${sigTag}`, `${repo}:${sigTag}`], { stdio: 'pipe' });
    originalTagManifest = await api.manifest('v1');
    originalSig = await api.manifest(sigTag);
    originalReferrers = await api.manifest(image.replace(':', '-'), OCI_INDEX);
  }, 120_000);

  afterAll(async () => {
    await registry?.stop();
    rmSync(hsm.dir, { recursive: true, force: true });
  });

  /** Puts the registry back as pushed. */
  async function restore(): Promise<void> {
    await api.putManifest('v1', OCI_MANIFEST, originalTagManifest);
    await api.putManifest(sigTag, OCI_MANIFEST, originalSig);
    await api.putManifest(image.replace(':', '-'), OCI_INDEX, originalReferrers);
  }

  it('the pulled layout verifies with the same trust policy, keys, keyring and lookaside, and with a containers policy.json', () => {
    const dir = pull('pulled');
    const r = verify(dir, [...material, ...ALL]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report.requirements.map((q) => [q.format, q.satisfied])).toEqual([['notation', true], ['cosign', true], ['cosign-bundle', true], ['gpg', true]]);
    expect(r.report.signatures.filter((s) => s.verdict === 'valid')).toHaveLength(5);
    const p = verify(dir, policyArgs);
    expect(p.code, p.stderr).toBe(0);
    expect(p.report.requirements.map((q) => q.format)).toEqual(['notation', 'cosign-bundle', 'gpg', 'cosign']);
  });

  it('the tag re-pointed to another manifest: nothing is signed for it', async () => {
    const manifest = JSON.parse(originalTagManifest.toString('utf8')) as Record<string, unknown>;
    const other = Buffer.from(JSON.stringify({ ...manifest, annotations: { 'org.example.tampered': 'yes' } }));
    await api.putManifest('v1', OCI_MANIFEST, other);
    try {
      const dir = pull('repointed', false);
      const r = verify(dir, [...material, ...ALL]);
      expect(r.code).toBe(1);
      const reasons = Object.fromEntries(r.report.requirements.map((q) => [q.format, q.reason]));
      expect(reasons.notation).toMatch(/^no Notation \(JWS\) signature is associated with sha256:/);
      expect(reasons.cosign).toMatch(/^no cosign \.sig signature/);
      expect(reasons['cosign-bundle']).toMatch(/^no cosign bundle referrer/);
      expect(reasons.gpg).toMatch(/^no GPG signature for sha256:/);
      expect(r.report.requirements.every((q) => !q.satisfied)).toBe(true);
    } finally {
      await restore();
    }
  });

  it('the .sig manifest replaced by one whose signature another key made', async () => {
    const sig = JSON.parse(originalSig.toString('utf8')) as { layers: Array<Descriptor & { annotations: Record<string, string> }> };
    const payload = await api.blob(sig.layers[0]!.digest);
    const forged = cryptoSign('sha256', payload, readFileSync(otherKey, 'utf8')).toString('base64');
    sig.layers[0]!.annotations['dev.cosignproject.cosign/signature'] = forged;
    await api.putManifest(sigTag, OCI_MANIFEST, Buffer.from(JSON.stringify(sig)));
    try {
      const r = verify(pull('forged-sig'), [...material, ...ALL]);
      expect(r.code).toBe(1);
      expect(r.report.requirements.filter((q) => !q.satisfied).map((q) => q.format)).toEqual(['cosign']);
      expect(r.report.requirements.find((q) => q.format === 'cosign')!.reason).toMatch(/^integrity: the cosign signature does not verify with the public key/);
      // The policy.json run says the same through sigstoreSigned.
      const p = verify(pull('forged-sig-policy'), policyArgs);
      expect(p.code).toBe(1);
      expect(p.report.requirements.find((q) => q.format === 'cosign')!.reason).toMatch(/^integrity: the cosign signature does not verify/);
    } finally {
      await restore();
    }
  });

  it('the bundle blob replaced (statement for another digest, same signature): the bundle fails', async () => {
    await rewriteReferrers(BUNDLE_TYPE, async (manifest) => {
      const layer = (manifest.layers as Descriptor[])[0]!;
      const bundle = JSON.parse((await api.blob(layer.digest)).toString('utf8')) as { dsseEnvelope: { payload: string } };
      const statement = Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8').replace(image.slice(7), 'f'.repeat(64));
      bundle.dsseEnvelope.payload = Buffer.from(statement).toString('base64');
      return withLayer(manifest, Buffer.from(JSON.stringify(bundle)));
    });
    try {
      const r = verify(pull('forged-bundle'), [...material, ...ALL]);
      expect(r.code).toBe(1);
      expect(r.report.requirements.filter((q) => !q.satisfied).map((q) => q.format)).toEqual(['cosign-bundle']);
      expect(r.report.requirements.find((q) => q.format === 'cosign-bundle')!.reason).toMatch(/^integrity: the bundle's DSSE signature does not verify/);
    } finally {
      await restore();
    }
  });

  it('the bundle referrer dropped: required by --format, its absence fails', async () => {
    await rewriteReferrers(BUNDLE_TYPE, 'drop');
    try {
      const r = verify(pull('no-bundle'), [...material, ...ALL]);
      expect(r.code).toBe(1);
      expect(r.report.requirements.find((q) => q.format === 'cosign-bundle')).toMatchObject({ satisfied: false, reason: `no cosign bundle referrer is associated with ${image}` });
    } finally {
      await restore();
    }
  });

  it('both Notation envelopes replaced by a byte-flipped copy: Notation fails on integrity', async () => {
    await rewriteReferrers(NOTATION_TYPE, async (manifest) => {
      const envelope = await api.blob((manifest.layers as Descriptor[])[0]!.digest);
      envelope.writeUInt8(envelope.readUInt8(envelope.length - 10) ^ 0x01, envelope.length - 10);
      return withLayer(manifest, envelope);
    });
    try {
      const r = verify(pull('forged-notation'), [...material, ...ALL]);
      expect(r.code).toBe(1);
      expect(r.report.requirements.filter((q) => !q.satisfied).map((q) => q.format)).toEqual(['notation']);
      // The JWS and the COSE envelope (verdicts say which: notation, notation-cose).
      const notation = r.report.signatures.filter((s) => s.format === 'notation' || s.format === 'notation-cose');
      expect(notation.map((s) => `${s.format} ${s.verdict}`).sort()).toEqual(['notation invalid', 'notation-cose invalid']);
      expect(notation.every((s) => s.reason.startsWith('integrity: '))).toBe(true);
    } finally {
      await restore();
    }
    // Restored: verifies again (the restore itself is what the next pull sees).
    expect(verify(pull('restored'), [...material, ...ALL]).code).toBe(0);
  });
});
