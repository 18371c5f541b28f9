/**
 * Start-up guard: what each CLI command loads. Start-up time counts against the speed targets
 * (issues 2, 4 and 19), so the layout commands must not load signing, ASN.1, PKCS#11 or help-rendering
 * code, `sign` with a file key must not load PKCS#11, TSA, COSE or the formats it was not asked for,
 * and no command loads Node's zlib, assert, tty or readline before it needs them. This file checks the
 * ES modules (AIRSIGN_CLI_MODULES=1); startup-bundle.test.ts checks the bundle bin/airsign.js runs.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp-dir.js';

const RECORDER = fileURLToPath(new URL('../../fixtures/startup/record-loads.mjs', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../../samples/single.tar', import.meta.url));

const dir = tempDir('airsign-startup-');
let run = 0;

/** Runs the CLI and returns its exit code and every module it loaded (URLs and CommonJS paths). */
function loadsOf(args: string[]): { code: number; stderr: string; modules: string[] } {
  const record = join(dir, `loads-${++run}.txt`);
  const r = runCli(args, { env: { ...process.env, NODE_OPTIONS: `--import=${RECORDER}`, AIRSIGN_RECORD_LOADS: record, AIRSIGN_CLI_MODULES: '1' } });
  const modules = readFileSync(record, 'utf8').split('\n').filter((line) => line !== '').map((line) => line.replaceAll('\\', '/'));
  return { code: r.code, stderr: r.stderr, modules };
}

const HELP_ONLY = [/\/cliui\//, /\/string-width\//, /\/wrap-ansi\//, /\/emoji-regex\//];
const SIGNING = [/@peculiar\//, /pkcs11/, /\/dist\/formats\//, /\/dist\/x509\//, /\/dist\/keys\//, /\/dist\/timestamp\//];

/** Node modules a run must not load unless it needs them: each costs every run 5-15 ms of CPU. */
const UNUSED_BUILTINS = [/^builtin:zlib$/, /^builtin:assert$/, /^builtin:tty$/, /^builtin:readline$/];

function expectNone(modules: string[], patterns: RegExp[]): void {
  for (const pattern of patterns) expect(modules.filter((m) => pattern.test(m))).toEqual([]);
}

describe('CLI start-up: modules loaded per command', () => {
  it('records what it loads (the recorder works)', () => {
    const r = loadsOf(['inspect', SAMPLE]);
    expect(r.code).toBe(0);
    expect(r.modules.some((m) => m.endsWith('/dist/cli/commands/inspect.js'))).toBe(true);
    expect(r.modules.some((m) => m.endsWith('/yargs-factory.js'))).toBe(true);
  });

  it('inspect, strip and repack load no signing, ASN.1, PKCS#11 or help-rendering code', () => {
    const inspect = loadsOf(['inspect', SAMPLE]);
    const strip = loadsOf(['strip', SAMPLE, '--directory', join(dir, 'layers'), '--output', join(dir, 'stripped.tar')]);
    const repack = loadsOf(['repack', join(dir, 'stripped.tar'), '--directory', join(dir, 'layers'), '--output', join(dir, 'full.tar')]);
    for (const r of [inspect, strip, repack]) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expectNone(r.modules, [...HELP_ONLY, ...SIGNING, ...UNUSED_BUILTINS, /\/dist\/cli\/commands\/(sign|key|cert)\.js/]);
    }
    for (const r of [strip, repack]) expectNone(r.modules, [/\/dist\/operations\/inspect\.js/]);
  });

  it('sign with a key file and Notation JWS loads no PKCS#11, TSA, COSE or help-rendering code', () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    expect(runCli(['key', 'generate', '--type', 'ecdsa-p256', '--output', key]).code).toBe(0);
    expect(runCli(['cert', 'create', '--key', key, '--subject', 'C=US,ST=WA,O=airsign test,CN=startup', '--days', '2', '-o', cert]).code).toBe(0);
    const strip = runCli(['strip', SAMPLE, '--directory', join(dir, 'sign-layers'), '--output', join(dir, 'to-sign.tar')]);
    expect(strip.code).toBe(0);
    // notBefore is the certificate's creation second; signing in that same second is fine for sign.
    const r = loadsOf(['sign', join(dir, 'to-sign.tar'), '--key', key, '--cert', cert, '--format', 'notation', '--output', join(dir, 'signed.tar')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.modules.some((m) => m.endsWith('/dist/formats/notation/jws-envelope.js'))).toBe(true);
    expectNone(r.modules, [...HELP_ONLY, ...UNUSED_BUILTINS, /pkcs11/, /\/dist\/timestamp\//, /cose-envelope/, /\/dist\/formats\/cbor/, /@peculiar\/asn1-(cms|tsp)/]);
    // Only the format named: no GPG/OpenPGP or cosign code.
    expectNone(r.modules, [/\/dist\/formats\/(gpg|openpgp|cosign)\//, /\/dist\/formats\/default-formats\.js/]);
  });

  it('verify of a Notation signature loads no cosign, OpenPGP/GPG, containers-policy or key-file code', () => {
    // The tar signed by the test above, its certificate as the trust store's CA.
    const store = join(dir, 'store', 'x509', 'ca', 'startup');
    mkdirSync(store, { recursive: true });
    copyFileSync(join(dir, 'cert.pem'), join(store, 'cert.pem'));
    const policy = join(dir, 'trustpolicy.json');
    writeFileSync(policy, JSON.stringify({ version: '1.0', trustPolicies: [{ name: 'p', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:startup'], trustedIdentities: ['*'] }] }));
    // A stripped tar: --stripped accepts its absent layers.
    const r = loadsOf(['verify', join(dir, 'signed.tar'), '--stripped', '--trust-policy', policy, '--trust-store', join(dir, 'store')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.modules.some((m) => m.endsWith('/dist/formats/notation/verify-envelope.js'))).toBe(true);
    // Every format looks for its signatures (cosign-verification.js, gpg-verification.js: finders
    // only, so present but unchecked signatures are noted); nothing of theirs that checks loads.
    expectNone(r.modules, [
      ...HELP_ONLY,
      /pkcs11/,
      /\/dist\/formats\/(cosign|openpgp|gpg|simple-signing)\/(?!(cosign|gpg)-verification\.js$)/,
      /\/dist\/verify\/(containers-policy|evaluate-containers-policy|evaluate-cosign-bundle|evaluate-simple-signing)\.js/,
      /\/dist\/operations\/verify-containers-policy\.js/,
      /\/dist\/keys\/(open-key|file-key|cosign-key-file)\.js/,
    ]);
  });

  it('--version alone loads only the version command; --help still loads the help renderer', () => {
    const version = loadsOf(['--version']);
    expect(version.code).toBe(0);
    expectNone(version.modules, [/\/dist\/cli\/commands\/(?!version\.js)/, ...HELP_ONLY, ...UNUSED_BUILTINS]);
    const help = loadsOf(['strip', '--help']);
    expect(help.code).toBe(0);
    expect(help.modules.some((m) => /\/cliui\//.test(m))).toBe(true);
  });
});
