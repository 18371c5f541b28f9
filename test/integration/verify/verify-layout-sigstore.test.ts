/**
 * `verify` on layouts holding containers/image's real cosign signatures (test/fixtures/sigstore,
 * made by cosign and by c/image's sigstore signer): each `signature-N` becomes one layer of the
 * image's `sha256-<hex>.sig` manifest, as cosign stores it in a registry or layout, and the
 * verdicts must be the ones the upstream Go tests reach (see that folder's README). Both ways are
 * covered: `--key` (cosign's own checks plus the repository of --identity) and `--policy` with
 * sigstoreSigned (signedIdentity rules, Rekor bundle). The fixtures hold the manifest but not its
 * config, which verify reports as not present (as it does a stripped tar's layers); the assertions
 * here are on the signature requirements (`accepted`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyLayout, type VerifyOptions, type VerifyReport } from '../../../src/operations/verify.js';
import { runCli } from '../../helpers/cli.js';
import { sha256Hex } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const FIXTURES = new URL('../../fixtures/sigstore/', import.meta.url).pathname;
const work = tempDir('airsign-verify-sigstore-');

const VALID = join(FIXTURES, 'dir-img-cosign-valid');
const WITH_TAG = join(FIXTURES, 'dir-img-cosign-valid-with-tag');
const REKOR = join(FIXTURES, 'dir-img-cosign-key-rekor-valid');
const COSIGN_PUB = join(FIXTURES, 'cosign.pub');
const COSIGN2_PUB = join(FIXTURES, 'cosign2.pub');
const REKOR_PUB = join(FIXTURES, 'rekor.pub');
const VALID_REF = '192.168.64.2:5000/cosign-signed-single-sample';

let count = 0;
/** An OCI layout directory: the manifest tagged `latest`, and a `.sig` manifest with one layer per signature file. */
function layoutOf(manifestPath: string, signatureFiles: string[]): string {
  const dir = join(work, `layout-${count++}`);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (bytes: Uint8Array) => {
    const hex = sha256Hex(bytes);
    writeFileSync(join(dir, 'blobs', 'sha256', hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };
  const manifestBytes = readFileSync(manifestPath);
  const manifest = put(manifestBytes);
  const mediaType = (JSON.parse(manifestBytes.toString('utf8')) as { mediaType: string }).mediaType;
  const layers = signatureFiles.map((file) => {
    const bytes = readFileSync(file);
    const header = Buffer.from('\0sigstore-json\n');
    expect(bytes.subarray(0, header.length).equals(header)).toBe(true);
    const doc = JSON.parse(bytes.subarray(header.length).toString('utf8')) as { mimeType: string; payload: string; annotations: Record<string, string> };
    return { mediaType: doc.mimeType, ...put(Buffer.from(doc.payload, 'base64')), annotations: doc.annotations };
  });
  const config = put(Buffer.from('{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]},"config":{}}'));
  const sigBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers }));
  const sig = put(sigBytes);
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [
      { mediaType, ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'latest' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...sig, annotations: { 'org.opencontainers.image.ref.name': `sha256-${manifest.digest.slice(7)}.sig` } },
    ],
  }));
  return dir;
}

function policyFile(requirement: Record<string, unknown>): string {
  const path = join(work, `policy-${count++}.json`);
  writeFileSync(path, JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: { '192.168.64.2:5000': [requirement] } } }));
  return path;
}

async function run(dir: string, options: VerifyOptions): Promise<VerifyReport & { accepted: boolean }> {
  const report = await verifyLayout(dir, { reference: 'latest', formats: ['cosign'], ...options });
  return { ...report, accepted: report.requirements.length > 0 && report.requirements.every((r) => r.satisfied) };
}

describe('cosign fixtures through --key', () => {
  it('dir-img-cosign-valid: valid with cosign.pub (alone or with cosign2.pub); cosign2.pub alone rejects', async () => {
    const dir = layoutOf(join(VALID, 'manifest.json'), [join(VALID, 'signature-1')]);
    const ok = await run(dir, { keys: [COSIGN_PUB], identity: VALID_REF });
    expect(ok.accepted).toBe(true);
    expect(ok.signatures[0]).toMatchObject({ format: 'cosign', verdict: 'valid', signer: COSIGN_PUB, target: 'sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00' });
    // The fixture has no config and no layer blob: the signature holds, the image is incomplete.
    expect(ok.integrity.failures.map((f) => f.digest)).toContain('sha256:961769676411f082461f9ef46626dd7a2d1e2b2a38e6a44364bcbecf51e66dd4');
    expect(ok.integrity.failures.every((f) => / blob sha256:\S+ \(\d+ bytes\) of the verified image is not in the layout/.test(f.reason))).toBe(true);
    expect(ok.verified).toBe(false);
    expect((await run(dir, { keys: [COSIGN2_PUB, COSIGN_PUB], identity: VALID_REF })).accepted).toBe(true);
    const wrong = await run(dir, { keys: [COSIGN2_PUB], identity: VALID_REF });
    expect(wrong.accepted).toBe(false);
    expect(wrong.requirements[0]!.reason).toMatch(/^integrity: the cosign signature does not verify with the public key/);
  });

  it('dir-img-cosign-valid: another repository is an identity mismatch; no --identity checks the digest claim only, as cosign', async () => {
    const dir = layoutOf(join(VALID, 'manifest.json'), [join(VALID, 'signature-1')]);
    for (const identity of ['testing/manifest:notlatest', 'this/does-not:match']) {
      const r = await run(dir, { keys: [COSIGN_PUB], identity });
      expect(r.accepted, identity).toBe(false);
      expect(r.requirements[0]!.reason).toMatch(/^identity: the signature is for "192\.168\.64\.2:5000\/cosign-signed-single-sample", which does not match/);
    }
    const noIdentity = await run(dir, { keys: [COSIGN_PUB] });
    expect(noIdentity.accepted).toBe(true);
    expect(noIdentity.signatures[0]!.checks.find((c) => c.check === 'identity')!.result).toBe('skipped');
  });

  it('unknown-cosign-key.signature: rejected alone; one bad followed by one good is accepted', async () => {
    const bad = await run(layoutOf(join(VALID, 'manifest.json'), [join(FIXTURES, 'unknown-cosign-key.signature')]), { keys: [COSIGN_PUB, COSIGN2_PUB], identity: VALID_REF });
    expect(bad.accepted).toBe(false);
    expect(bad.requirements[0]!.reason).toMatch(/does not verify with any of the 2 public keys/);
    const both = await run(layoutOf(join(VALID, 'manifest.json'), [join(FIXTURES, 'unknown-cosign-key.signature'), join(VALID, 'signature-1')]), { keys: [COSIGN_PUB], identity: VALID_REF });
    expect(both.accepted).toBe(true);
    expect(both.signatures.map((s) => s.verdict)).toEqual(['invalid', 'valid']);
  });

  it('dir-img-cosign-modified-manifest: the good signature names another digest', async () => {
    const r = await run(layoutOf(join(FIXTURES, 'dir-img-cosign-modified-manifest', 'manifest.json'), [join(VALID, 'signature-1')]), { keys: [COSIGN_PUB], identity: VALID_REF });
    expect(r.accepted).toBe(false);
    expect(r.signatures[0]!.checks.find((c) => c.check === 'digest')).toMatchObject({ result: 'failed' });
    expect(r.requirements[0]!.reason).toMatch(/^digest: .*sha256:634a8f35/);
  });

  it('dir-img-cosign-other-attachment: a text/plain attachment is not a signature', async () => {
    const r = await run(layoutOf(join(VALID, 'manifest.json'), [join(FIXTURES, 'dir-img-cosign-other-attachment', 'signature-1')]), { keys: [COSIGN_PUB], identity: VALID_REF });
    expect(r.accepted).toBe(false);
    expect(r.requirements[0]!.reason).toMatch(/^integrity: .*text\/plain.*it is not a signature/);
  });

  it('dir-img-cosign-key-rekor-valid: valid with cosign2.pub; cosign.pub rejects', async () => {
    const dir = layoutOf(join(REKOR, 'manifest.json'), [join(REKOR, 'signature-1')]);
    expect((await run(dir, { keys: [COSIGN2_PUB], identity: '192.168.64.2:5000/cosign-signed/key-1' })).accepted).toBe(true);
    expect((await run(dir, { keys: [COSIGN_PUB], identity: '192.168.64.2:5000/cosign-signed/key-1' })).accepted).toBe(false);
  });
});

describe('cosign fixtures through --policy sigstoreSigned', () => {
  it('dir-img-cosign-valid-with-tag: matchExact accepts :tag and rejects :othertag; the untagged cosign signature fails matchExact', async () => {
    const dir = layoutOf(join(WITH_TAG, 'manifest.json'), [join(WITH_TAG, 'signature-1')]);
    const policy = policyFile({ type: 'sigstoreSigned', keyPath: COSIGN_PUB, signedIdentity: { type: 'matchExact' } });
    expect((await run(dir, { policy, identity: '192.168.64.2:5000/skopeo-signed:tag' })).accepted).toBe(true);
    const other = await run(dir, { policy, identity: '192.168.64.2:5000/skopeo-signed:othertag' });
    expect(other.accepted).toBe(false);
    expect(other.requirements[0]!.reason).toMatch(/^identity: .*under signedIdentity matchExact/);
    const untagged = await run(layoutOf(join(VALID, 'manifest.json'), [join(VALID, 'signature-1')]), { policy, identity: `${VALID_REF}:latest` });
    expect(untagged.accepted).toBe(false);
    expect((await run(layoutOf(join(VALID, 'manifest.json'), [join(VALID, 'signature-1')]), {
      policy: policyFile({ type: 'sigstoreSigned', keyPath: COSIGN_PUB, signedIdentity: { type: 'matchRepository' } }), identity: `${VALID_REF}:latest`,
    })).accepted).toBe(true);
  });

  it('dir-img-cosign-key-rekor-valid: with rekor.pub the Rekor bundle is checked; cosign.pub as the Rekor key rejects', async () => {
    const dir = layoutOf(join(REKOR, 'manifest.json'), [join(REKOR, 'signature-1')]);
    const identity = '192.168.64.2:5000/cosign-signed/key-1:latest';
    const good = policyFile({ type: 'sigstoreSigned', keyPaths: [COSIGN_PUB, COSIGN2_PUB], rekorPublicKeyPath: REKOR_PUB, signedIdentity: { type: 'matchRepository' } });
    expect((await run(dir, { policy: good, identity })).accepted).toBe(true);
    const wrongRekor = policyFile({ type: 'sigstoreSigned', keyPath: COSIGN2_PUB, rekorPublicKeyPath: COSIGN_PUB, signedIdentity: { type: 'matchRepository' } });
    const r = await run(dir, { policy: wrongRekor, identity });
    expect(r.accepted).toBe(false);
    expect(r.requirements[0]!.reason).toMatch(/Rekor bundle is not valid: the SignedEntryTimestamp does not verify/);
  });

  it('the CLI reaches the same verdicts', () => {
    const dir = layoutOf(join(VALID, 'manifest.json'), [join(VALID, 'signature-1')]);
    expect(runCli(['verify', dir, '--key', COSIGN_PUB, '--identity', VALID_REF]).stdout).toMatch(/Requirement cosign: satisfied: signature sha256:[0-9a-f]{64} layer 1 is valid/);
    const bad = runCli(['verify', dir, '--key', COSIGN2_PUB, '--identity', VALID_REF]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/Requirement cosign: NOT satisfied: integrity: the cosign signature does not verify/);
  });
});
