/**
 * End to end through a registry: the multi-platform sample is pushed to docker-registry on a free
 * 127.0.0.1 port with `skopeo copy`, signed offline with `--format gpg --recursive`, a registries.d
 * lookaside points at the tree, and `skopeo copy` under a `signedBy` policy (keyring: only the
 * exported public key) pulls it — and refuses it with another key or another signed identity.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SigningRecord } from '../../../src/signing-record.js';
import { runCli } from '../../helpers/cli.js';
import { startRegistry, type LocalRegistry } from '../../helpers/docker-registry.js';
import { gpgHome } from '../../helpers/gpg.js';
import { readLayoutIndex } from '../../helpers/sign-checks.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLES = new URL('../../../samples/', import.meta.url).pathname;
const work = tempDir('airsign-gpg-registry-');
let registry: LocalRegistry;
let input: string;
let key: string;
let otherKey: string;

beforeAll(async () => {
  registry = await startRegistry();
  input = join(work, 'multi.tar');
  copyFileSync(join(SAMPLES, 'multi.tar'), input);
  key = join(work, 'key.pem');
  otherKey = join(work, 'other.pem');
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], { stdio: 'pipe' });
  execFileSync('openssl', ['genpkey', '-algorithm', 'ED25519', '-out', otherKey], { stdio: 'pipe' });
  execFileSync('skopeo', ['copy', '--all', '--preserve-digests', '--dest-tls-verify=false', `oci-archive:${input}:1.4`, `docker://${registry.host}/app:1.4`], { stdio: 'pipe' });
}, 60_000);
afterAll(async () => {
  await registry?.stop();
});

function exportKey(path: string, name: string): string {
  const out = join(work, `${name}.gpg`);
  const r = runCli(['key', 'export', path, '--as', 'openpgp', '--user-id', `${name} <${name}@example.com>`, '-o', out]);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

/** Signs with `--format gpg` into a fresh lookaside tree; returns the tree. */
function signInto(name: string, identity: string, withKey = key): string {
  const lookaside = join(work, name);
  const r = runCli(['sign', input, '--key', withKey, '--format', 'gpg', '--recursive', '--reference', '1.4', '--identity', identity, '--lookaside', lookaside, '--json']);
  expect(r.code, r.stderr).toBe(0);
  const record = JSON.parse(r.stdout) as SigningRecord;
  expect(record.signatures.length).toBeGreaterThanOrEqual(3);
  return lookaside;
}

/** `skopeo copy` from the registry under a signedBy policy, with a registries.d lookaside at `lookaside`. */
function pull(name: string, lookaside: string, publicKey: string): { code: number; out: string } {
  const dir = join(work, `pull-${name}`);
  mkdirSync(join(dir, 'registries.d'), { recursive: true });
  writeFileSync(join(dir, 'registries.d', 'lookaside.yaml'), `docker:\n  ${registry.host}:\n    lookaside: file://${lookaside}\n`);
  writeFileSync(join(dir, 'policy.json'), JSON.stringify({
    default: [{ type: 'reject' }],
    transports: { docker: { [`${registry.host}/app`]: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: publicKey, signedIdentity: { type: 'matchRepoDigestOrExact' } }] } },
  }));
  const r = spawnSync('skopeo', ['--policy', join(dir, 'policy.json'), '--registries.d', join(dir, 'registries.d'), 'copy', '--src-tls-verify=false',
    `docker://${registry.host}/app:1.4`, `dir:${join(dir, 'out')}`], { encoding: 'utf8', env: { ...process.env, GNUPGHOME: gpgHome() } });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('GPG lookaside signatures through docker-registry and skopeo copy', () => {
  it('the pushed index digest is the one airsign signs', () => {
    const pushed = execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/app:1.4`]);
    const digest = `sha256:${execFileSync('sha256sum', { input: pushed }).toString().slice(0, 64)}`;
    expect(readLayoutIndex(input).manifests[0]!.digest).toBe(digest);
  });

  it('skopeo copy under signedBy succeeds with the signing key', () => {
    const lookaside = signInto('good', `${registry.host}/app:1.4`);
    const r = pull('good', lookaside, exportKey(key, 'signer'));
    expect(r.out).not.toMatch(/rejected/);
    expect(r.code).toBe(0);
  });

  it('fails with another key', () => {
    const lookaside = signInto('other-key', `${registry.host}/app:1.4`);
    const r = pull('other-key', lookaside, exportKey(otherKey, 'other'));
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/Source image rejected: Invalid GPG signature/);
  });

  it('fails with another identity (same repository, another tag)', () => {
    const lookaside = signInto('other-identity', `${registry.host}/app:9.9`);
    const r = pull('other-identity', lookaside, exportKey(key, 'signer2'));
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/Source image rejected: .*(not accepted|does not match)/);
  });
});
