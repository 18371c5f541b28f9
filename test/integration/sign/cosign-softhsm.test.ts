/**
 * cosign and cosign-bundle with real SoftHSM keys (P-256, P-384, RSA-3072, Ed25519), together with
 * the Notation formats where the key allows, in ONE run with ONE login: the PIN comes from a FIFO
 * that can be read exactly once, so a second login would block and time out. Every `.sig` layer is
 * verified by openssl and every bundle by @sigstore/verify with the key `airsign key export` gives.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SigningRecord } from '../../../src/signing-record.js';
import { runCli } from '../../helpers/cli.js';
import { cosignLocalImage, extractTar, opensslVerifiesCosign, verifyBundleWithSigstoreJs } from '../../helpers/cosign-peers.js';
import { runCliTimed } from '../../helpers/sign-checks.js';
import { makeTestChain, type OpensslKeyKind } from '../../helpers/sign-fixtures.js';
import { createSoftHsm, exportPublicKeyWithP11tool, type SoftHsm } from '../../helpers/softhsm.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLES = new URL('../../../samples/', import.meta.url).pathname;
const MULTI_INDEX = 'sha256:34f45d4c39e6d71056b72570e663e6ce49803e8bf9dcc9670ad6f81b5bf5fee8';
let hsm: SoftHsm;
const work = tempDir('airsign-cosign-hsm-');

beforeAll(() => {
  hsm = createSoftHsm();
});
afterAll(() => {
  rmSync(hsm.dir, { recursive: true, force: true });
});

function oneShotPin(dir: string, pin: string): { path: string; writer: ChildProcess } {
  const path = join(dir, 'pin.fifo');
  execFileSync('mkfifo', [path]);
  const writer = spawn('sh', ['-c', 'printf %s "$PIN" > "$FIFO"'], { env: { PIN: pin, FIFO: path }, stdio: 'ignore' });
  return { path, writer };
}

const KEYS: Array<{ label: string; kind?: OpensslKeyKind }> = [
  { label: 'ec-p256', kind: 'ec-p256' },
  { label: 'ec-p384', kind: 'ec-p384' },
  { label: 'rsa-3072', kind: 'rsa-3072' },
  { label: 'ed25519' },
];

describe.each(KEYS)('SoftHSM $label', ({ label, kind }) => {
  it('every format the key allows, --recursive, one login; openssl and @sigstore/verify accept the cosign output', () => {
    const dir = join(work, label);
    mkdirSync(dir);
    const tar = join(dir, 'multi.tar');
    copyFileSync(join(SAMPLES, 'multi.tar'), tar);
    const uriBase = `pkcs11:token=airsign-test;object=${label}?module-path=${hsm.module}`;
    const exported = runCli(['key', 'export', `${uriBase}&pin-value=${hsm.pin}`], { env: hsm.env });
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout.replace(/\s/g, '')).toBe(exportPublicKeyWithP11tool(hsm, 'airsign-test', label).replace(/\s/g, ''));
    const notation = kind === undefined ? [] : ['--cert', makeTestChain(kind, { publicKeyPem: exported.stdout }).chainPath, '--format', 'notation', '--format', 'notation-cose'];
    const pin = oneShotPin(dir, hsm.pin);
    const result = runCliTimed(['sign', tar, '--key', `${uriBase}&pin-source=file:${pin.path}`, '--recursive', '--json',
      '--identity', 'docker.io/library/app:1.4', '--format', 'cosign', '--format', 'cosign-bundle', ...notation], { env: { ...hsm.env, AIRSIGN_PKCS11_PIN: '' }, timeoutMs: 90_000 });
    pin.writer.kill();
    expect(result.code, result.stderr).toBe(0);
    const record = JSON.parse(result.stdout) as SigningRecord;
    expect(record.signatures).toHaveLength(3 * (kind === undefined ? 2 : 4));
    const local = cosignLocalImage(extractTar(tar));
    expect(local.target.digest).toBe(MULTI_INDEX);
    expect(local.signatures).toHaveLength(1);
    for (const s of local.signatures) expect(opensslVerifiesCosign(exported.stdout, s.payload, s.signature)).toBe(true);
    expect(local.bundles).toHaveLength(1);
    const verified = verifyBundleWithSigstoreJs(local.bundles[0]!, exported.stdout);
    expect(`sha256:${verified.statement.subject[0]!.digest.sha256}`).toBe(MULTI_INDEX);
  }, 180_000);
});
