/**
 * Through a registry with real oras code: the multi-platform sample signed with a SoftHSM P-256 key
 * in notation + notation-cose + cosign + cosign-bundle (one run, --recursive) is pushed to
 * docker-registry with orascheck (oras cp -r from oras-go and the oras CLI's copy logic), pulled back
 * into a layout, and every Notation and bundle referrer must still be attached to the same subject;
 * the `.sig` tags, which oras cp -r does not carry, are pushed with the command sign printed and
 * must arrive as cosign/podman read them. orascheck (an `oras cp -r` stand-in built from oras-go)
 * is named by AIRSIGN_ORASCHECK; without it this file is skipped, saying so.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SigningRecord } from '../../../src/signing-record.js';
import { runCli } from '../../helpers/cli.js';
import { opensslVerifiesCosign, verifyBundleWithSigstoreJs } from '../../helpers/cosign-peers.js';
import { startRegistry, type LocalRegistry } from '../../helpers/docker-registry.js';
import { loadLikeOras } from '../../helpers/oras-rules.js';
import { makeTestChain, type TestChain } from '../../helpers/sign-fixtures.js';
import { createSoftHsm, exportPublicKeyWithP11tool, type SoftHsm } from '../../helpers/softhsm.js';
import { tempDir } from '../../helpers/temp-dir.js';

const ORASCHECK = process.env.AIRSIGN_ORASCHECK;
const SAMPLES = new URL('../../../samples/', import.meta.url).pathname;
const MULTI_INDEX = 'sha256:34f45d4c39e6d71056b72570e663e6ce49803e8bf9dcc9670ad6f81b5bf5fee8';
const MULTI_AMD64 = 'sha256:442991fd3d5c31cb0e98399cadb4bb01ad7177aed8772ed1400372c2031f2e76';
const MULTI_ARM64 = 'sha256:6f044d8dd89c30e6b6c1168d404a8735089e9fdffdaf09edd50ff4b08183f9dc';
const SIGNATURE_TYPES = new Set(['application/vnd.cncf.notary.signature', 'application/vnd.dev.sigstore.bundle.v0.3+json']);

const work = tempDir('airsign-cosign-registry-');
let hsm: SoftHsm;
let chain: TestChain;
let registry: LocalRegistry;
let publicKeyPem: string;

describe.skipIf(ORASCHECK === undefined || !existsSync(ORASCHECK))('through docker-registry with orascheck (AIRSIGN_ORASCHECK)', () => {
  beforeAll(async () => {
    hsm = createSoftHsm([{ label: 'airsign-test', keys: [{ type: 'EC:prime256v1', id: '01', label: 'ec-p256' }] }]);
    publicKeyPem = exportPublicKeyWithP11tool(hsm, 'airsign-test', 'ec-p256');
    chain = makeTestChain('ec-p256', { publicKeyPem });
    registry = await startRegistry();
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
    rmSync(hsm.dir, { recursive: true, force: true });
  });

  it('keeps every referrer on its subject, and the printed oras line carries each .sig tag', async () => {
    const tar = join(work, 'multi.tar');
    copyFileSync(join(SAMPLES, 'multi.tar'), tar);
    const repo = `${registry.host}/team/app`;
    const key = `pkcs11:token=airsign-test;object=ec-p256?module-path=${hsm.module}&pin-value=${hsm.pin}`;
    const signed = runCli(['sign', tar, '--key', key, '--cert', chain.chainPath, '--recursive', '--identity', `${repo}:v1`,
      '--format', 'notation', '--format', 'notation-cose', '--format', 'cosign', '--format', 'cosign-bundle', '--json'], { env: hsm.env });
    expect(signed.code, signed.stderr).toBe(0);
    const record = JSON.parse(signed.stdout) as SigningRecord;
    expect(record.signatures).toHaveLength(12);
    expect(record.identity).toBe(`${repo}:v1`);

    // What oras-go sees in the signed tar: the referrers of the index and of each platform manifest.
    const before = loadLikeOras(tar);
    const expected = new Map<string, { mediaType: string; digest: string; size: number }>();
    for (const subject of [MULTI_INDEX, MULTI_AMD64, MULTI_ARM64]) {
      const plain = before.nodes().find((n) => n.digest === subject)!;
      const referrers = before.referrers(plain).filter((r) => SIGNATURE_TYPES.has(r.artifactType ?? ''));
      expect(referrers, subject).toHaveLength(3); // notation, notation-cose, bundle
      for (const r of referrers) expected.set(r.digest, plain);
    }

    execFileSync(ORASCHECK!, ['push', `${tar}:1.4`, `${repo}:v1`], { stdio: 'pipe' });
    const pulled = join(work, 'pulled');
    mkdirSync(pulled);
    execFileSync(ORASCHECK!, ['pull', `${repo}:v1`, `${pulled}:v1`], { stdio: 'pipe' });
    for (const [digest, subject] of expected) {
      const path = join(pulled, 'blobs', 'sha256', digest.slice(7));
      expect(existsSync(path), `referrer ${digest} came back`).toBe(true);
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as { subject: { mediaType: string; digest: string; size: number }; layers: Array<{ mediaType: string; digest: string }> };
      expect({ mediaType: manifest.subject.mediaType, digest: manifest.subject.digest, size: manifest.subject.size }).toEqual(subject);
      const layer = manifest.layers[0]!;
      if (layer.mediaType === 'application/vnd.dev.sigstore.bundle.v0.3+json') {
        const verified = verifyBundleWithSigstoreJs(readFileSync(join(pulled, 'blobs', 'sha256', layer.digest.slice(7))), publicKeyPem);
        expect(verified.statement.subject[0]!.digest.sha256).toBe(subject.digest.slice(7));
      }
    }

    // The .sig tags: push each with the line sign printed (orascheck push = oras cp --from-oci-layout).
    const lines = signed.stderr.split('\n').filter((l) => l.includes('oras cp --from-oci-layout'));
    expect(lines).toHaveLength(3);
    for (const subject of [MULTI_INDEX, MULTI_AMD64, MULTI_ARM64]) {
      const tag = `${subject.replace(':', '-')}.sig`;
      const line = lines.find((l) => l.includes(tag))!;
      const match = /oras cp --from-oci-layout (\S+) (\S+)$/.exec(line);
      expect(match, line).not.toBeNull();
      expect(match![1]).toBe(`${tar}:${tag}`);
      expect(match![2]).toBe(`${repo}:${tag}`);
      execFileSync(ORASCHECK!, ['push', match![1]!, match![2]!], { stdio: 'pipe' });
      // What podman/cosign fetch: the tag, as an OCI image manifest, whose layers verify.
      const response = await fetch(`http://${registry.host}/v2/team/app/manifests/${tag}`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/vnd.oci.image.manifest.v1+json');
      const sigRecord = record.signatures.find((s) => s.format === 'cosign' && s.signedDescriptor.digest === subject)!;
      expect(response.headers.get('docker-content-digest')).toBe(sigRecord.signatureManifest!.digest);
      const manifest = (await response.json()) as { layers: Array<{ digest: string; annotations: Record<string, string> }> };
      for (const layer of manifest.layers) {
        const blob = Buffer.from(await (await fetch(`http://${registry.host}/v2/team/app/blobs/${layer.digest}`)).arrayBuffer());
        expect(JSON.parse(blob.toString('utf8')).critical.image['docker-manifest-digest']).toBe(subject);
        expect(opensslVerifiesCosign(publicKeyPem, blob, layer.annotations['dev.cosignproject.cosign/signature']!)).toBe(true);
      }
    }
  }, 120_000);
});
