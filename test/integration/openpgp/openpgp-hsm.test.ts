/**
 * OpenPGP export and message signing with SoftHSM keys: `airsign key export --as openpgp` (CLI)
 * must be accepted by gpg, its fingerprint must equal openPgpFingerprint(), and messages signed
 * in-process with the token key must verify with gpg and skopeo (c/image's GPG simple signing).
 */
import { createPublicKey } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportOpenPgpPublicKey, openPgpFingerprint } from '../../../src/formats/openpgp/export-public-key.js';
import { signOpenPgpMessage } from '../../../src/formats/openpgp/sign-message.js';
import type { KeyBackend, KeyType } from '../../../src/key-backend.js';
import { openKey } from '../../../src/keys/open-key.js';
import { runCli } from '../../helpers/cli.js';
import { gpg, gpgFingerprints, gpgHome } from '../../helpers/gpg.js';
import { createSoftHsm, exportPublicKeyWithP11tool, useSoftHsmInProcess, type SoftHsm } from '../../helpers/softhsm.js';
import { sha256Digest } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const dir = tempDir('airsign-pgp-hsm-');
let hsm: SoftHsm;
let pinFile: string;
const opened: KeyBackend[] = [];

const KEYS: Array<[string, KeyType]> = [
  ['ec-p256', 'ecdsa-p256'],
  ['ec-p384', 'ecdsa-p384'],
  ['rsa-3072', 'rsa-3072'],
  ['ed25519', 'ed25519'],
];

function uri(object: string): string {
  return `pkcs11:token=airsign-test;object=${object}?module-path=${hsm.module}&pin-source=file:${pinFile}`;
}

/** A public-only backend from p11tool's export (a peer), for an independent fingerprint. */
function publicOnly(object: string, keyType: KeyType): KeyBackend {
  const spki = new Uint8Array(createPublicKey(exportPublicKeyWithP11tool(hsm, 'airsign-test', object)).export({ format: 'der', type: 'spki' }));
  const no = async (): Promise<never> => {
    throw new Error('public only');
  };
  return { description: object, keyType, publicKeySpki: async () => spki, certificateChain: async () => [], sign: no, signDigest: no, close: async () => {} };
}

/** Length of the first packet (new-format header) so we can compare key packets. */
function firstPacket(bytes: Uint8Array): Uint8Array {
  const len = bytes[1]! < 192 ? bytes[1]! : bytes[1]! < 224 ? ((bytes[1]! - 192) << 8) + bytes[2]! + 192 : -1;
  const header = bytes[1]! < 192 ? 2 : 3;
  return bytes.subarray(0, header + len);
}

beforeAll(() => {
  hsm = createSoftHsm();
  pinFile = join(dir, 'pin');
  writeFileSync(pinFile, hsm.pin);
  useSoftHsmInProcess(hsm);
});

afterAll(async () => {
  for (const k of opened) await k.close();
});

describe('OpenPGP with SoftHSM keys', () => {
  it.each(KEYS)('key export --as openpgp for %s: gpg imports it with the fingerprint openPgpFingerprint computes', async (object, keyType) => {
    const out = join(dir, `${object}.gpg`);
    const r = runCli(['key', 'export', uri(object), '--as', 'openpgp', '--user-id', `HSM ${object} <${object}@example.com>`, '-o', out], { env: hsm.env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const home = gpgHome();
    const imported = gpg(home, ['--import', out]);
    expect(imported.stderr).toContain('imported: 1');
    const expected = await openPgpFingerprint(publicOnly(object, keyType));
    expect(gpgFingerprints(home)).toEqual([expected]);
    expect(gpg(home, ['--check-signatures', expected]).stderr).toContain('1 good signature');

    // In-process with the real PKCS#11 backend: same fingerprint, same key packet every time.
    const key = await openKey(uri(object), { env: {} });
    opened.push(key);
    expect(key.keyType).toBe(keyType);
    expect(await openPgpFingerprint(key)).toBe(expected);
    const first = await exportOpenPgpPublicKey(key, { userId: `HSM ${object} <${object}@example.com>` });
    const second = await exportOpenPgpPublicKey(key, { userId: `HSM ${object} <${object}@example.com>` });
    const fromCli = new Uint8Array(readFileSync(out));
    expect(Buffer.from(firstPacket(first)).equals(Buffer.from(firstPacket(fromCli)))).toBe(true);
    if (keyType === 'rsa-3072' || keyType === 'ed25519') {
      // Deterministic signature schemes: the whole export is byte-identical.
      expect(Buffer.from(first).equals(Buffer.from(second))).toBe(true);
      expect(Buffer.from(first).equals(Buffer.from(fromCli))).toBe(true);
    } else {
      expect(first.length).toBeGreaterThan(0);
      expect(Buffer.from(firstPacket(first)).equals(Buffer.from(firstPacket(second)))).toBe(true);
    }

    // A message signed by the token key verifies with gpg.
    const message = await signOpenPgpMessage(key, new TextEncoder().encode(`hello from ${object}`));
    const sigPath = join(dir, `${object}.msg`);
    writeFileSync(sigPath, message);
    const verified = gpg(home, ['--status-fd', '1', '--decrypt', sigPath]);
    expect(verified.stdout).toContain(`[GNUPG:] VALIDSIG ${expected}`);
    expect(verified.stdout).toContain(`hello from ${object}`);
  });

  it('a simple-signing signature made with the HSM P-256 key passes skopeo standalone-verify', async () => {
    const key = await openKey(uri('ec-p256'), { env: {} });
    opened.push(key);
    const home = gpgHome();
    expect(gpg(home, ['--import'], await exportOpenPgpPublicKey(key, { userId: 'HSM <hsm@example.com>' })).code).toBe(0);
    const fingerprint = await openPgpFingerprint(key);
    const manifest = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}');
    writeFileSync(join(dir, 'manifest.json'), manifest);
    const digest = sha256Digest(manifest);
    const reference = '127.0.0.1:5000/test:v1';
    const payload = JSON.stringify({
      critical: { identity: { 'docker-reference': reference }, image: { 'docker-manifest-digest': digest }, type: 'atomic container signature' },
      optional: { creator: 'airsign test', timestamp: 1_795_311_107 },
    });
    writeFileSync(join(dir, 'signature-1'), await signOpenPgpMessage(key, new TextEncoder().encode(payload)));
    const r = spawnSync('skopeo', ['standalone-verify', join(dir, 'manifest.json'), reference, fingerprint, join(dir, 'signature-1')], {
      env: { ...process.env, GNUPGHOME: home },
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`Signature verified, digest ${digest}`);
    // The wrong fingerprint is refused.
    const wrong = spawnSync('skopeo', ['standalone-verify', join(dir, 'manifest.json'), reference, 'F'.repeat(40), join(dir, 'signature-1')], {
      env: { ...process.env, GNUPGHOME: home },
      encoding: 'utf8',
    });
    expect(wrong.status).not.toBe(0);
  });
});
