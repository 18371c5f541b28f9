/**
 * `airsign verify --crl` through the CLI, on notation's own e2e layouts (test/fixtures/notation-layouts):
 * CRL files and directories are read (a file that is not a CRL is exit 2,
 * CRL_INVALID); e2e.crt names no CRL or OCSP location, so it cannot be revoked and strict passes.
 */
import { mkdirSync, writeFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { OpensslCa } from '../../helpers/openssl-ca.js';
import { tempDir } from '../../helpers/temp-dir.js';

const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname;
const LAYOUTS = join(FIXTURES, 'notation-layouts');
const POLICIES = join(FIXTURES, 'notation', 'trustpolicies');
const work = tempDir('airsign-crl-cli-');

const store = join(work, 'store');
mkdirSync(join(store, 'x509', 'ca', 'e2e'), { recursive: true });
cpSync(join(FIXTURES, 'notation', 'e2e.crt'), join(store, 'x509', 'ca', 'e2e', 'e2e.crt'));

const verify = (layout: string, policy: string, extra: string[] = []) =>
  runCli(['verify', join(LAYOUTS, layout), '--trust-policy', join(POLICIES, `${policy}.json`), '--trust-store', store, '--json', ...extra]);

describe('verify --crl', () => {
  it('reads --crl files and directories; a strict policy passes for a certificate that names no CRL or OCSP location', () => {
    const ca = new OpensslCa(join(work, 'ca'), '/C=US/ST=WA/O=Acme/CN=Unrelated CA');
    const dir = join(work, 'crls');
    mkdirSync(dir);
    ca.gencrl(join(dir, 'a.crl'), { der: true });
    ca.gencrl(join(dir, 'b.pem'));
    const r = verify('e2e-valid-signature', 'trustpolicy', ['--crl', dir, '--crl', join(dir, 'a.crl')]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { signatures: Array<{ checks: Array<{ check: string; result: string }> }> };
    expect(report.signatures[0]!.checks.find((c) => c.check === 'revocation')?.result).toBe('passed');
  });

  it('a --crl file that is not a CRL is exit 2 (CRL_INVALID), naming the file', () => {
    const junk = join(work, 'junk.crl');
    writeFileSync(junk, 'not a crl');
    const r = verify('e2e-valid-signature', 'trustpolicy', ['--crl', junk, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/CRL_INVALID/);
    expect(r.stdout + r.stderr).toContain('junk.crl');
  });
});
