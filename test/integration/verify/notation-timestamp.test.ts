/**
 * The RFC 3161 authentic-timestamp check end to end: an image signed by `airsign sign --tsa` against
 * a real TSA (openssl ts behind a local HTTP server) verifies when the policy names a `tsa` store
 * holding that TSA's root, and fails when the store holds another root or the token is gone.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { runCli, runCliAsync } from '../../helpers/cli.js';
import { startLocalTsa, type LocalTsa } from '../../helpers/local-tsa.js';
import { verifyTimeStampToken } from '../../../src/timestamp/time-stamp-token.js';
import { parseCertificate } from '../../../src/x509/certificate-info.js';
import { sha256Hex } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname;
const work = tempDir('airsign-verify-tsa-');
let tsa: LocalTsa;
const layout = join(work, 'layout');

beforeAll(async () => {
  tsa = await startLocalTsa();
  cpSync(join(FIXTURES, 'notation-layouts', 'e2e'), layout, { recursive: true });
  const signed = await runCliAsync(['sign', layout, '--key', join(FIXTURES, 'notation', 'e2e.key'), '--cert', join(FIXTURES, 'notation', 'e2e.crt'), '--format', 'notation', '--reference', 'v1', '--tsa', tsa.url, '--tsa-root-cert', tsa.rootPath]);
  expect(signed.code, signed.stderr).toBe(0);
});
afterAll(async () => {
  await tsa?.close();
});

function store(tsaRoot: string): string {
  const dir = mkdtempSync(join(work, 'store-'));
  mkdirSync(join(dir, 'x509', 'ca', 'e2e'), { recursive: true });
  mkdirSync(join(dir, 'x509', 'tsa', 'tsa'), { recursive: true });
  cpSync(join(FIXTURES, 'notation', 'e2e.crt'), join(dir, 'x509', 'ca', 'e2e', 'e2e.crt'));
  cpSync(tsaRoot, join(dir, 'x509', 'tsa', 'tsa', 'root.pem'));
  return dir;
}

function policy(verifyTimestamp?: string): string {
  const path = join(work, `policy-${verifyTimestamp ?? 'always'}.json`);
  writeFileSync(path, JSON.stringify({
    version: '1.0',
    trustPolicies: [{
      name: 'tsa', registryScopes: ['*'],
      signatureVerification: { level: 'strict', ...(verifyTimestamp ? { verifyTimestamp } : {}) },
      trustStores: ['ca:e2e', 'tsa:tsa'], trustedIdentities: ['*'],
    }],
  }));
  return path;
}

interface Report {
  signatures: Array<{ verdict: string; reason: string; checks: Array<{ check: string; result: string; reason?: string }> }>;
}

function verify(layoutDir: string, trustStore: string, policyPath = policy()): { code: number; report: Report } {
  const r = runCli(['verify', layoutDir, '--trust-policy', policyPath, '--trust-store', trustStore, '--json']);
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

const timestampCheck = (report: Report) => report.signatures[0]!.checks.find((c) => c.check === 'authenticTimestamp')!;

describe('verify: RFC 3161 timestamps against the tsa trust store', () => {
  it('valid with the TSA root in the tsa store', () => {
    const { code, report } = verify(layout, store(tsa.rootPath));
    expect(code).toBe(0);
    expect(timestampCheck(report).result).toBe('passed');
  });

  it('fails when the tsa store holds another root', () => {
    const { code, report } = verify(layout, store(join(FIXTURES, 'notation', 'notation-go', 'NotationTestRoot.pem')));
    expect(code).toBe(1);
    expect(timestampCheck(report)).toMatchObject({ result: 'failed' });
    expect(timestampCheck(report).reason).toMatch(/failed to verify the timestamp countersignature: .*does not chain to the given TSA root/);
  });

  it('fails when the token does not cover the signature (token moved to another signature)', () => {
    // Sign a second copy without a TSA, then graft the first signature's token into it.
    const other = join(work, 'other');
    cpSync(join(FIXTURES, 'notation-layouts', 'e2e'), other, { recursive: true });
    expect(runCli(['sign', other, '--key', join(FIXTURES, 'notation', 'e2e.key'), '--cert', join(FIXTURES, 'notation', 'e2e.crt'), '--format', 'notation', '--reference', 'v1']).code).toBe(0);
    const envelopeOf = (dir: string) => readdirSync(join(dir, 'blobs', 'sha256')).map((f) => join(dir, 'blobs', 'sha256', f)).find((p) => readFileSync(p, 'utf8').startsWith('{"payload"'))!;
    const stamped = JSON.parse(readFileSync(envelopeOf(layout), 'utf8')) as { header: Record<string, string> };
    const plainPath = envelopeOf(other);
    const plain = JSON.parse(readFileSync(plainPath, 'utf8')) as { header: Record<string, string> };
    expect(plain.header['io.cncf.notary.timestampSignature']).toBeUndefined();
    // The unprotected header is outside the signature: the envelope still verifies, the token must not.
    plain.header['io.cncf.notary.timestampSignature'] = stamped.header['io.cncf.notary.timestampSignature']!;
    const grafted = JSON.stringify(plain);
    // Rewrite the blob under its new digest and point the signature manifest at it.
    const oldDigest = plainPath.split('/').pop()!;
    const newDigest = sha256Hex(grafted);
    writeFileSync(join(other, 'blobs', 'sha256', newDigest), grafted);
    rmSync(plainPath);
    for (const f of readdirSync(join(other, 'blobs', 'sha256'))) {
      const p = join(other, 'blobs', 'sha256', f);
      const text = readFileSync(p, 'latin1');
      if (!text.includes(oldDigest)) continue;
      const manifest = JSON.parse(text) as { layers: Array<{ digest: string; size: number }> };
      manifest.layers[0]!.digest = `sha256:${newDigest}`;
      manifest.layers[0]!.size = Buffer.byteLength(grafted);
      const bytes = JSON.stringify(manifest);
      const md = sha256Hex(bytes);
      writeFileSync(join(other, 'blobs', 'sha256', md), bytes);
      rmSync(p);
      const index = readFileSync(join(other, 'index.json'), 'utf8').replace(`sha256:${f}`, `sha256:${md}`);
      writeFileSync(join(other, 'index.json'), fixSize(index, `sha256:${md}`, bytes.length));
    }
    const { code, report } = verify(other, store(tsa.rootPath));
    expect(code).toBe(1);
    expect(timestampCheck(report).reason).toMatch(/covers different data than the signature/);
  });

  it('without a token, strict needs one; afterCertExpiry does not while the chain is valid', () => {
    const other = join(work, 'plain');
    cpSync(join(FIXTURES, 'notation-layouts', 'e2e'), other, { recursive: true });
    expect(runCli(['sign', other, '--key', join(FIXTURES, 'notation', 'e2e.key'), '--cert', join(FIXTURES, 'notation', 'e2e.crt'), '--format', 'notation', '--reference', 'v1']).code).toBe(0);
    const always = verify(other, store(tsa.rootPath));
    expect(always.code).toBe(1);
    expect(timestampCheck(always.report).reason).toBe('no timestamp countersignature was found in the signature envelope');
    const after = verify(other, store(tsa.rootPath), policy('afterCertExpiry'));
    expect(after.code).toBe(0);
  });
});

describe('verifyTimeStampToken: the ESS signing-certificate-v2 attribute', () => {
  // Tokens straight from `openssl ts -reply` with the local TSA's keys, once with ESSCertIDv2
  // (SHA-256) and once with the old SHA-1 signing-certificate attribute only.
  function token(essAlgorithm: string, message: Buffer): Uint8Array {
    const dir = tsa.dir;
    const config = readFileSync(join(dir, 'ts.cnf'), 'utf8').replace(/ess_cert_id_alg = \w+/, `ess_cert_id_alg = ${essAlgorithm}`);
    writeFileSync(join(dir, `ts-${essAlgorithm}.cnf`), config);
    writeFileSync(join(dir, 'message.bin'), message);
    execFileSync('openssl', ['ts', '-query', '-data', 'message.bin', '-sha256', '-cert', '-out', 'q.tsq'], { cwd: dir });
    execFileSync('openssl', ['ts', '-reply', '-queryfile', 'q.tsq', '-config', `ts-${essAlgorithm}.cnf`, '-token_out', '-out', `token-${essAlgorithm}.der`], { cwd: dir, stdio: 'pipe' });
    return new Uint8Array(readFileSync(join(dir, `token-${essAlgorithm}.der`)));
  }

  it('accepts a token whose signing-certificate-v2 names its TSA certificate; refuses one with only the SHA-1 attribute', () => {
    const message = Buffer.from('the signature bytes');
    const root = new Uint8Array(execFileSync('openssl', ['x509', '-in', tsa.rootPath, '-outform', 'DER']));
    const options = { message, hash: 'sha256' as const, roots: [root] };
    expect(parseCertificate(verifyTimeStampToken(token('sha256', message), options).tsaPath[0]!).subject).toMatch(/airsign test TSA/);
    expect(() => verifyTimeStampToken(token('sha1', message), options)).toThrow(expect.objectContaining({ code: 'TSA_ESS_MISSING' }));
  });
});

/** Sets the size of the index.json entry for `digest`. */
function fixSize(indexText: string, digest: string, size: number): string {
  const index = JSON.parse(indexText) as { manifests: Array<{ digest: string; size: number }> };
  for (const m of index.manifests) if (m.digest === digest) m.size = size;
  return JSON.stringify(index);
}
