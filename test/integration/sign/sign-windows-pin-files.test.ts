/**
 * PIN files written as Windows tools write them, end to end with SoftHSM: PowerShell 5.1's UTF-16
 * `>` file logs in and signs; cmd's `echo 1234 > pin.txt` ("1234 ") is refused before any login,
 * and with --secret-trailing-space the space reaches the token (which then says the PIN is wrong).
 */
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SigningRecord } from '../../../src/signing-record.js';
import { runCli } from '../../helpers/cli.js';
import { makeTestChain, type TestChain } from '../../helpers/sign-fixtures.js';
import { createSoftHsm, exportPublicKeyWithP11tool, type SoftHsm } from '../../helpers/softhsm.js';
import { sha256File } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLES = fileURLToPath(new URL('../../../samples/', import.meta.url));
const PIN_FILES = fileURLToPath(new URL('../../fixtures/secret-files/', import.meta.url));
let hsm: SoftHsm;
const work = tempDir('airsign-win-pin-');
let chain: TestChain;

beforeAll(() => {
  hsm = createSoftHsm([{ label: 'airsign-test', keys: [{ type: 'EC:prime256v1', id: '01', label: 'ec-p256' }] }], { pin: '1234' });
  chain = makeTestChain('ec-p256', { publicKeyPem: exportPublicKeyWithP11tool(hsm, 'airsign-test', 'ec-p256') });
});
afterAll(() => {
  rmSync(hsm.dir, { recursive: true, force: true });
});

function sign(name: string, pinFile: string, extra: string[] = []): { code: number; stdout: string; stderr: string; input: string; before: string } {
  const input = join(work, `${name}.tar`);
  copyFileSync(join(SAMPLES, 'single.tar'), input);
  const before = sha256File(input);
  const key = `pkcs11:token=airsign-test;object=ec-p256?module-path=${hsm.module}&pin-source=file:${join(PIN_FILES, pinFile)}`;
  const env = { ...hsm.env, AIRSIGN_PKCS11_PIN: '', COSIGN_PKCS11_PIN: '' };
  return { ...runCli(['sign', input, '--key', key, '--cert', chain.chainPath, '--format', 'notation', '--json', ...extra], { env }), input, before };
}

describe('PIN files from Windows tools', () => {
  it('a PowerShell 5.1 `>` file (UTF-16LE, BOM, CRLF) signs', () => {
    const r = sign('powershell', 'powershell-5.1-redirect.pin');
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as SigningRecord).signatures).toHaveLength(1);
    expect(sha256File(r.input)).not.toBe(r.before);
  });

  it("cmd's `echo 1234 > pin.txt` is refused before the login; with --secret-trailing-space the token gets \"1234 \"", () => {
    const refused = sign('cmd', 'cmd-echo-redirect.pin');
    expect(refused.code, refused.stderr).toBe(3);
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: 'KEY_SECRET_FILE_TRAILING_SPACE' } });
    expect(sha256File(refused.input)).toBe(refused.before);
    const meant = sign('cmd-meant', 'cmd-echo-redirect.pin', ['--secret-trailing-space']);
    expect(meant.code, meant.stderr).toBe(3);
    expect(JSON.parse(meant.stdout)).toMatchObject({ error: { code: 'PKCS11_PIN_INCORRECT' } });
  });
});
