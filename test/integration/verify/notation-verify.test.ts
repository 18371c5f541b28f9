/**
 * `airsign verify` on notation's own e2e layouts (test/fixtures/notation-layouts, byte-for-byte from
 * notaryproject/notation) with notation's own trust policies: every row of the verdict table in the
 * vectors' NOTES.md, plus integrity on a tar, a stripped tar and a tampered layout.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp-dir.js';

const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname;
const LAYOUTS = join(FIXTURES, 'notation-layouts');
const POLICIES = join(FIXTURES, 'notation', 'trustpolicies');
const work = tempDir('airsign-verify-');

interface Report {
  verified: boolean;
  signatures: Array<{ signature: string; verdict: string; reason: string; signer?: string; warnings: string[]; checks: Array<{ check: string; result: string; reason?: string }> }>;
  requirements: Array<{ satisfied: boolean; reason: string }>;
  integrity: { blobsChecked: number; failures: Array<{ digest: string; reason: string }>; notPresent: Array<{ digest: string; role: string }> };
}

let storeCount = 0;
/** A trust store with `ca:e2e` holding the given certificate files (and optional extra stores). */
function trustStore(ca: string[], extra: Record<string, string[]> = {}): string {
  const root = join(work, `store-${storeCount++}`);
  const stores: Record<string, string[]> = { 'ca/e2e': ca, ...extra };
  for (const [dir, files] of Object.entries(stores)) {
    mkdirSync(join(root, 'x509', dir), { recursive: true });
    for (const file of files) cpSync(file, join(root, 'x509', dir, file.split('/').pop()!));
  }
  return root;
}

const E2E_CRT = join(FIXTURES, 'notation', 'e2e.crt');
const NEW_E2E_CRT = join(FIXTURES, 'notation', 'new_e2e.crt');
const EXPIRED_E2E_CRT = join(FIXTURES, 'notation', 'expired_e2e.crt');

function verify(layout: string, policy: string, store: string, extra: string[] = []): { code: number; report: Report; stderr: string } {
  const r = runCli(['verify', layout, '--trust-policy', join(POLICIES, `${policy}.json`), '--trust-store', store, '--json', ...extra]);
  return { code: r.code, report: r.stdout ? (JSON.parse(r.stdout) as Report) : (undefined as unknown as Report), stderr: r.stderr };
}

describe('notation e2e layouts: the verdicts notation reaches', () => {
  const e2eStore = trustStore([E2E_CRT]);

  it('e2e (unsigned): fails, no signature is associated', () => {
    const { code, report } = verify(join(LAYOUTS, 'e2e'), 'trustpolicy', e2eStore);
    expect(code).toBe(1);
    expect(report.verified).toBe(false);
    expect(report.requirements[0]!.reason).toMatch(/no Notation signature is associated with sha256:b8479de3/);
  });

  it('e2e-valid-signature: valid (default policy, matching identity); invalid identity and an untrusted cert fail', () => {
    for (const policy of ['trustpolicy', 'valid_trusted_identity_trustpolicy', 'permissive_trustpolicy', 'audit_trustpolicy']) {
      const { code, report } = verify(join(LAYOUTS, 'e2e-valid-signature'), policy, e2eStore);
      expect(code, policy).toBe(0);
      expect(report.signatures[0]!.verdict).toBe('valid');
      expect(report.signatures[0]!.signer).toContain('CN=e2e');
    }
    const wrongId = verify(join(LAYOUTS, 'e2e-valid-signature'), 'invalid_trusted_identity_trustpolicy', e2eStore);
    expect(wrongId.code).toBe(1);
    expect(wrongId.report.signatures[0]!.reason).toMatch(/^trustedIdentity: signing certificate .* does not match the X.509 trusted identities/);

    const newStore = trustStore([NEW_E2E_CRT]);
    const untrusted = verify(join(LAYOUTS, 'e2e-valid-signature'), 'trustpolicy', newStore);
    expect(untrusted.code).toBe(1);
    expect(untrusted.report.signatures[0]!.reason).toBe('authenticity: the signature\'s certificate chain does not contain any trusted certificate');
    // audit only logs the authenticity failure
    const audited = verify(join(LAYOUTS, 'e2e-valid-signature'), 'audit_trustpolicy', newStore);
    expect(audited.code).toBe(0);
    expect(audited.report.signatures[0]!.warnings.join('\n')).toMatch(/does not contain any trusted certificate/);
  });

  it('skip: verification skipped, exit 0, even for the invalid signature', () => {
    for (const layout of ['e2e-valid-signature', 'e2e-invalid-signature']) {
      const { code, report } = verify(join(LAYOUTS, layout), 'skip_trustpolicy', e2eStore);
      expect(code, layout).toBe(0);
      expect(report.signatures[0]!.verdict).toBe('skipped');
    }
  });

  it('e2e-valid-multiple-signatures: valid because one signature is; the second alone fails authenticity', () => {
    const { code, report } = verify(join(LAYOUTS, 'e2e-valid-multiple-signatures'), 'trustpolicy', e2eStore);
    expect(code).toBe(0);
    expect(report.signatures).toHaveLength(2);
    const second = report.signatures.find((s) => s.signature.startsWith('sha256:c3ebe4a2'))!;
    expect(second.verdict).toBe('invalid');
    expect(second.reason).toMatch(/^authenticity: .*does not contain any trusted certificate/);
    expect(report.signatures.find((s) => s.signature.startsWith('sha256:90ceaff2'))!.verdict).toBe('valid');
  });

  it('e2e-expired-signature: strict fails on expiry; permissive and audit pass with a warning', () => {
    const strict = verify(join(LAYOUTS, 'e2e-expired-signature'), 'trustpolicy', e2eStore);
    expect(strict.code).toBe(1);
    expect(strict.report.signatures[0]!.reason).toMatch(/^expiry: digital signature has expired on Tue, 27 Jun 2023 05:21:21 GMT/);
    for (const policy of ['permissive_trustpolicy', 'audit_trustpolicy']) {
      const { code, report } = verify(join(LAYOUTS, 'e2e-expired-signature'), policy, e2eStore);
      expect(code, policy).toBe(0);
      expect(report.signatures[0]!.warnings.join('\n')).toMatch(/expiry: digital signature has expired/);
    }
  });

  it('e2e-invalid-signature: integrity failure at strict, permissive and audit', () => {
    for (const policy of ['trustpolicy', 'permissive_trustpolicy', 'audit_trustpolicy']) {
      const { code, report } = verify(join(LAYOUTS, 'e2e-invalid-signature'), policy, e2eStore);
      expect(code, policy).toBe(1);
      expect(report.signatures[0]!.reason).toMatch(/^integrity: /);
    }
  });

  it('e2e-with-expired-cert (store = expired_e2e.crt): strict fails authenticTimestamp; permissive/audit warn', () => {
    const store = trustStore([EXPIRED_E2E_CRT]);
    const strict = verify(join(LAYOUTS, 'e2e-with-expired-cert'), 'trustpolicy', store);
    expect(strict.code).toBe(1);
    expect(strict.report.signatures[0]!.reason).toMatch(/^authenticTimestamp: certificate .* was expired at Tue, 27 Jun 2023 06:10:00 GMT/);
    for (const policy of ['permissive_trustpolicy', 'audit_trustpolicy']) {
      const { code, report } = verify(join(LAYOUTS, 'e2e-with-expired-cert'), policy, store);
      expect(code, policy).toBe(0);
      expect(report.signatures[0]!.warnings.join('\n')).toMatch(/was expired at Tue, 27 Jun 2023 06:10:00 GMT/);
    }
  });

  it('timestamped layouts: found by subject alone; with testcert7 trusted and a TSA store, the malformed token is rejected', () => {
    // testcert7, taken from the envelope's own x5c, stands in for the signer's trust anchor
    const envelope = JSON.parse(readFileSync(join(FIXTURES, 'notation', 'e2e-with-timestamped-signature', 'envelope.jws'), 'utf8')) as { header: { x5c: string[] } };
    const certFile = join(work, 'testcert7.pem');
    writeFileSync(certFile, `-----BEGIN CERTIFICATE-----\n${envelope.header.x5c[0]}\n-----END CERTIFICATE-----\n`);
    const store = trustStore([certFile], { 'tsa/e2e': [join(FIXTURES, 'notation', 'notation-go', 'NotationTestRoot.pem')] });
    const policy = join(work, 'tsa-policy.json');
    writeFileSync(policy, JSON.stringify({ version: '1.0', trustPolicies: [{ name: 'tsa', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:e2e', 'tsa:e2e'], trustedIdentities: ['*'] }] }));
    const run = (layout: string) => {
      const r = runCli(['verify', join(LAYOUTS, layout), '--trust-policy', policy, '--trust-store', store, '--json']);
      return { code: r.code, report: JSON.parse(r.stdout) as Report };
    };
    const invalid = run('e2e-with-invalid-timestamped-signature');
    expect(invalid.code).toBe(1);
    const ts = invalid.report.signatures[0]!.checks.find((c) => c.check === 'authenticTimestamp')!;
    expect(ts.result).toBe('failed');
    expect(ts.reason).toMatch(/failed to verify the timestamp countersignature: the time-stamp token is malformed/);
    // The well-formed token parses and covers the signature, but its TSA root is not in our tsa store.
    const valid = run('e2e-with-timestamped-signature');
    expect(valid.code).toBe(1);
    const ts2 = valid.report.signatures[0]!.checks.find((c) => c.check === 'authenticTimestamp')!;
    expect(ts2.reason).toMatch(/failed to verify the timestamp countersignature: /);
    expect(ts2.reason).not.toMatch(/malformed|messageImprint/);
  });
});

describe('verify: integrity on a tar, a stripped tar and a tampered layout', () => {
  const e2eStore = trustStore([E2E_CRT]);

  function copyLayout(name: string): string {
    const dir = join(work, `${name}-${storeCount++}`);
    cpSync(join(LAYOUTS, name), dir, { recursive: true });
    return dir;
  }
  function layerOf(dir: string): string {
    const manifest = JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', 'b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9'), 'utf8')) as { layers: Array<{ digest: string }> };
    return manifest.layers[0]!.digest;
  }

  it('a tar of the layout verifies, and every blob is checked', () => {
    const tar = join(work, 'valid.tar');
    execFileSync('tar', ['-cf', tar, '-C', join(LAYOUTS, 'e2e-valid-signature'), 'oci-layout', 'index.json', 'blobs']);
    const { code, report } = verify(tar, 'trustpolicy', e2eStore);
    expect(code).toBe(0);
    expect(report.integrity.failures).toEqual([]);
    expect(report.integrity.blobsChecked).toBeGreaterThanOrEqual(6);
  });

  it('a stripped tar (layer gone) with --stripped: signatures checked, the layer reported as not present, exit 0; without --stripped exit 1', () => {
    const dir = copyLayout('e2e-valid-signature');
    const layer = layerOf(dir);
    rmSync(join(dir, 'blobs', 'sha256', layer.slice(7)));
    const tar = join(work, 'stripped.tar');
    execFileSync('tar', ['-cf', tar, '-C', dir, 'oci-layout', 'index.json', 'blobs']);
    const { code, report } = verify(tar, 'trustpolicy', e2eStore, ['--stripped']);
    expect(code).toBe(0);
    expect(report.integrity.notPresent).toEqual([expect.objectContaining({ digest: layer, role: 'layer' })]);
    const complete = verify(tar, 'trustpolicy', e2eStore);
    expect(complete.code).toBe(1);
    expect(complete.report.integrity.failures).toEqual([{ digest: layer, reason: expect.stringMatching(/layer blob .* of the verified image is not in the layout \(give --stripped/) }]);
    expect(report.signatures[0]!.verdict).toBe('valid');
  });

  it('a changed byte in a layer fails verification (exit 1) naming the blob', () => {
    const dir = copyLayout('e2e-valid-signature');
    const layer = layerOf(dir);
    const path = join(dir, 'blobs', 'sha256', layer.slice(7));
    const bytes = readFileSync(path);
    bytes[0] = bytes[0]! ^ 1;
    writeFileSync(path, bytes);
    const { code, report } = verify(dir, 'trustpolicy', e2eStore);
    expect(code).toBe(1);
    expect(report.verified).toBe(false);
    expect(report.integrity.failures.map((f) => f.digest)).toEqual([layer]);
  });

  it('unusable input: no trust policy, a malformed policy, a missing store → exit 2', () => {
    const layout = join(LAYOUTS, 'e2e-valid-signature');
    const noPolicy = runCli(['verify', layout]);
    expect(noPolicy.code).toBe(2);
    expect(noPolicy.stderr).toMatch(/--trust-policy/);
    const bad = join(work, 'bad-policy.json');
    writeFileSync(bad, JSON.stringify({ version: '1.0', trustPolicies: [{ name: 'x', registryScopes: ['*'], signatureVerification: { level: 'strict', override: { integrity: 'log' } }, trustStores: ['ca:e2e'], trustedIdentities: ['*'] }] }));
    const badRun = runCli(['verify', layout, '--trust-policy', bad, '--trust-store', e2eStore]);
    expect(badRun.code).toBe(2);
    expect(badRun.stderr).toMatch(/integrity validation cannot be overridden/);
    const noStore = runCli(['verify', layout, '--trust-policy', join(POLICIES, 'trustpolicy.json'), '--trust-store', join(work, 'nope')]);
    expect(noStore.code).toBe(2);
  });

  it('--reference by tag or digest; the JSON names format, target and signer; --format cosign needs --key and a cosign signature', () => {
    const layout = join(LAYOUTS, 'e2e-valid-signature');
    for (const reference of ['v1', 'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9']) {
      const { code, report } = verify(layout, 'trustpolicy', e2eStore, ['--reference', reference]);
      expect(code, reference).toBe(0);
      expect(report.signatures[0]).toMatchObject({ format: 'notation', target: 'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9', verdict: 'valid' });
    }
    expect(verify(layout, 'trustpolicy', e2eStore, ['--reference', 'nope']).code).toBe(2);
    const cosign = runCli(['verify', layout, '--trust-policy', join(POLICIES, 'trustpolicy.json'), '--trust-store', e2eStore, '--format', 'cosign']);
    expect(cosign.code).toBe(2);
    expect(cosign.stderr).toMatch(/verify needs --key <cosign\.pub\|pkcs11:URI>: --format cosign/);
    const withKey = runCli(['verify', layout, '--format', 'cosign', '--key', join(FIXTURES, 'sigstore', 'cosign.pub'), '--json']);
    expect(withKey.code).toBe(1);
    expect((JSON.parse(withKey.stdout) as Report).requirements[0]!.reason).toMatch(/^no cosign \.sig signature .* is associated with sha256:b8479de3/);
  });

  it('--identity picks the statement by registry scope', () => {
    const policy = join(work, 'scoped.json');
    writeFileSync(policy, JSON.stringify({
      version: '1.0',
      trustPolicies: [
        { name: 'release', registryScopes: ['registry.example/app'], signatureVerification: { level: 'strict' }, trustStores: ['ca:e2e'], trustedIdentities: ['x509.subject: C=US, ST=WA, O=Notary'] },
        { name: 'other', registryScopes: ['registry.example/other'], signatureVerification: { level: 'strict' }, trustStores: ['ca:e2e'], trustedIdentities: ['x509.subject: C=US, ST=WA, O=Someone Else'] },
      ],
    }));
    const layout = join(LAYOUTS, 'e2e-valid-signature');
    const ok = runCli(['verify', layout, '--trust-policy', policy, '--trust-store', e2eStore, '--identity', 'registry.example/app:v1', '--json']);
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as { requirements: Array<{ policy: string }> }).requirements[0]!.policy).toBe('release');
    const other = runCli(['verify', layout, '--trust-policy', policy, '--trust-store', e2eStore, '--identity', 'registry.example/other:v1']);
    expect(other.code).toBe(1);
    const none = runCli(['verify', layout, '--trust-policy', policy, '--trust-store', e2eStore]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--identity/);
  });
});
