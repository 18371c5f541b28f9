/**
 * `airsign sign` with real SoftHSM keys (P-256, P-384, RSA-3072): both Notation formats in one run
 * with ONE login (the PIN comes from a FIFO that can be read exactly once: a second login would
 * block and time out), envelopes checked by the independent Python verifier, record fingerprint
 * equal to the token's public key as GnuTLS p11tool exports it, and key refusals.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SigningRecord } from '../../../src/signing-record.js';
import { runCli } from '../../helpers/cli.js';
import { listDir, readLayoutBlob, runCliTimed, verifyWithPython } from '../../helpers/sign-checks.js';
import { makeTestChain, type OpensslKeyKind, type TestChain } from '../../helpers/sign-fixtures.js';
import { createSoftHsm, exportPublicKeyWithP11tool, type SoftHsm } from '../../helpers/softhsm.js';
import { sha256File, sha256Hex } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLES = new URL('../../../samples/', import.meta.url).pathname;
let hsm: SoftHsm;
const work = tempDir('airsign-sign-hsm-');
const chains = new Map<string, TestChain>();
const KEYS: Array<{ label: string; kind: OpensslKeyKind; alg: string }> = [
  { label: 'ec-p256', kind: 'ec-p256', alg: 'ES256' },
  { label: 'ec-p384', kind: 'ec-p384', alg: 'ES384' },
  { label: 'rsa-3072', kind: 'rsa-3072', alg: 'PS384' },
];

beforeAll(() => {
  hsm = createSoftHsm();
  for (const key of KEYS) {
    const publicKeyPem = exportPublicKeyWithP11tool(hsm, 'airsign-test', key.label);
    chains.set(key.label, makeTestChain(key.kind, { publicKeyPem }));
  }
});
afterAll(() => {
  rmSync(hsm.dir, { recursive: true, force: true });
});

function uri(label: string, query: string): string {
  return `pkcs11:token=airsign-test;object=${label}?module-path=${hsm.module}&${query}`;
}

/** A FIFO that hands out the PIN once; the writer ends after one reader has opened and read it. */
function oneShotPin(dir: string, pin: string): { path: string; writer: ChildProcess } {
  const path = join(dir, 'pin.fifo');
  execFileSync('mkfifo', [path]);
  const writer = spawn('sh', ['-c', 'printf %s "$PIN" > "$FIFO"'], { env: { PIN: pin, FIFO: path }, stdio: 'ignore' });
  return { path, writer };
}

describe.each(KEYS)('SoftHSM $label', ({ label, alg }) => {
  it('signs with both formats in one run with one login; the Python verifier accepts both', () => {
    const dir = join(work, label);
    mkdirSync(dir);
    const input = join(dir, 'single.tar');
    copyFileSync(join(SAMPLES, 'single.tar'), input);
    const chain = chains.get(label)!;
    const pin = oneShotPin(dir, hsm.pin);
    const result = runCliTimed(['sign', input, '--key', uri(label, `pin-source=file:${pin.path}`), '--cert', chain.chainPath,
      '--format', 'notation', '--format', 'notation-cose', '--json'], { env: { ...hsm.env, AIRSIGN_PKCS11_PIN: '' }, timeoutMs: 30_000 });
    pin.writer.kill();
    expect(result.code, result.stderr).toBe(0);
    const record = JSON.parse(result.stdout) as SigningRecord;
    expect(record.signatures.map((s) => [s.format, s.algorithm])).toEqual([['notation', alg], ['notation-cose', alg]]);
    expect(record.key).not.toContain(hsm.pin);
    expect(result.stdout + result.stderr).not.toMatch(/pin-value/);
    const spki = createPublicKey(exportPublicKeyWithP11tool(hsm, 'airsign-test', label)).export({ format: 'der', type: 'spki' });
    for (const s of record.signatures) {
      expect(s.publicKeyFingerprint).toBe(sha256Hex(spki));
      const line = verifyWithPython(readLayoutBlob(input, s.signature.digest), { root: chain.rootPath, descriptor: s.signedDescriptor, alg, dir });
      expect(line).toMatch(new RegExp(`^OK (JWS|COSE) ${alg}$`));
    }
  });
});

describe('SoftHSM refusals', () => {
  it('an Ed25519 token key is refused for notation: exit 3, input untouched', () => {
    const dir = join(work, 'ed25519');
    mkdirSync(dir);
    const input = join(dir, 'single.tar');
    copyFileSync(join(SAMPLES, 'single.tar'), input);
    const before = sha256File(input);
    const chain = makeTestChain('ed25519', { publicKeyPem: exportPublicKeyWithP11tool(hsm, 'airsign-test', 'ed25519') });
    const result = runCli(['sign', input, '--key', uri('ed25519', `pin-value=${hsm.pin}`), '--cert', chain.chainPath, '--format', 'notation'], { env: hsm.env });
    expect(result.code, result.stderr).toBe(3);
    // The inline PIN earns one warning line (argv is visible in ps), then the one-line error.
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^airsign: warning: the PIN is given inline \(pin-value=\)/);
    expect(sha256File(input)).toBe(before);
    expect(listDir(dir)).toEqual(['single.tar']);
  });

  it('a wrong PIN: exit 3, the PIN appears nowhere, input untouched', () => {
    const dir = join(work, 'wrong-pin');
    mkdirSync(dir);
    const input = join(dir, 'single.tar');
    copyFileSync(join(SAMPLES, 'single.tar'), input);
    const before = sha256File(input);
    const chain = chains.get('ec-p256')!;
    const result = runCli(['sign', input, '--key', uri('ec-p256', 'pin-value=98765'), '--cert', chain.chainPath, '--format', 'notation', '--json',
      '--record', join(dir, 'rec.json')], { env: hsm.env });
    expect(result.code).toBe(3);
    expect(result.stdout + result.stderr).not.toContain('98765');
    expect(JSON.parse(result.stdout).error.kind).toBe('key');
    expect(sha256File(input)).toBe(before);
    expect(listDir(dir)).toEqual(['single.tar']);
    expect(readFileSync(input).length).toBeGreaterThan(0);
  });
});
