/**
 * File keys of every format, made by OpenSSL (a peer), load and sign; every scheme's signature
 * verifies with node:crypto and with `openssl dgst`/`pkeyutl`.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KeyBackend, SignatureScheme } from '../../../src/key-backend.js';
import { nodeVerifies, opensslVerifies, rejectionOf, schemesFor } from '../../helpers/signature-peers.js';
import { openKey } from '../../../src/keys/open-key.js';
import { generateKeyPair } from '../../../src/keys/generate-key.js';
import { encodePem } from '../../../src/pem.js';
import { tempDir } from '../../helpers/temp-dir.js';

const dir = tempDir('airsign-filekey-');
const PASS = 'Pw-8c1f-file-pass';
const NO_ENV = { PATH: process.env.PATH ?? '' };

function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...(input === undefined ? {} : { input }) });
}

/** Signs with sign() and signDigest() for every scheme; checks with node and openssl; a changed message fails. */
async function checkAllSchemes(backend: KeyBackend, tag: string): Promise<void> {
  const spki = await backend.publicKeySpki();
  const pubPem = encodePem('PUBLIC KEY', spki);
  const message = new TextEncoder().encode(`{"payload":"${tag}"}`);
  for (const scheme of schemesFor(backend.keyType)) {
    const label = `${tag} ${JSON.stringify(scheme)}`;
    const sig = await backend.sign(message, scheme);
    expect(nodeVerifies(spki, message, sig, scheme), label).toBe(true);
    expect(nodeVerifies(spki, new TextEncoder().encode('other'), sig, scheme), `${label} tampered`).toBe(false);
    expect(opensslVerifies(pubPem, message, sig, scheme), `${label} openssl`).toBe(true);
    expect(opensslVerifies(pubPem, new TextEncoder().encode('other'), sig, scheme), `${label} openssl tampered`).toBe(false);
    if (scheme.algorithm !== 'ed25519') {
      const digest = createHash(scheme.hash).update(message).digest();
      const sig2 = await backend.signDigest(digest, scheme);
      expect(nodeVerifies(spki, message, sig2, scheme), `${label} digest`).toBe(true);
      expect(opensslVerifies(pubPem, message, sig2, scheme), `${label} digest openssl`).toBe(true);
    } else {
      await expect(backend.signDigest(new Uint8Array(32), { algorithm: 'ecdsa', hash: 'sha256', encoding: 'raw' })).rejects.toMatchObject({ code: 'KEY_SCHEME_UNSUPPORTED' });
    }
  }
  // a scheme that does not fit the key is refused
  const wrong: SignatureScheme = backend.keyType === 'ed25519' ? { algorithm: 'rsa-pss', hash: 'sha256' } : { algorithm: 'ed25519' };
  await expect(backend.sign(message, wrong)).rejects.toMatchObject({ code: 'KEY_SCHEME_UNSUPPORTED', kind: 'key' });
}

describe('file keys made by openssl', () => {
  beforeAll(() => {
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'p256.pkcs8.pem']);
    openssl(['ec', '-in', 'p256.pkcs8.pem', '-out', 'p256.sec1.pem']);
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-out', 'p384.pkcs8.pem']);
    openssl(['ec', '-in', 'p384.pkcs8.pem', '-out', 'p384.sec1.pem']);
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521', '-out', 'p521.pkcs8.pem']);
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072', '-out', 'rsa3072.pkcs8.pem']);
    openssl(['rsa', '-in', 'rsa3072.pkcs8.pem', '-traditional', '-out', 'rsa3072.pkcs1.pem']);
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'rsa2048.pkcs8.pem']);
    openssl(['genpkey', '-algorithm', 'ED25519', '-out', 'ed25519.pkcs8.pem']);
    openssl(['pkcs8', '-topk8', '-in', 'p256.pkcs8.pem', '-v2', 'aes-256-cbc', '-passout', `pass:${PASS}`, '-out', 'p256.enc.pem']);
    openssl(['pkcs8', '-topk8', '-in', 'rsa2048.pkcs8.pem', '-v2', 'aes-128-cbc', '-passout', `pass:${PASS}`, '-out', 'rsa2048.enc.pem']);
    openssl(['rsa', '-in', 'rsa2048.pkcs8.pem', '-traditional', '-aes256', '-passout', `pass:${PASS}`, '-out', 'rsa2048.pkcs1.enc.pem']);
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1', '-out', 'k1.pem']);
    writeFileSync(join(dir, 'pass.txt'), `${PASS}\n`);
  });

  const plain = [
    ['p256.pkcs8.pem', 'ecdsa-p256'],
    ['p256.sec1.pem', 'ecdsa-p256'],
    ['p384.pkcs8.pem', 'ecdsa-p384'],
    ['p384.sec1.pem', 'ecdsa-p384'],
    ['p521.pkcs8.pem', 'ecdsa-p521'],
    ['rsa3072.pkcs8.pem', 'rsa-3072'],
    ['rsa3072.pkcs1.pem', 'rsa-3072'],
    ['ed25519.pkcs8.pem', 'ed25519'],
  ] as const;
  for (const [file, keyType] of plain) {
    it(`${file} loads as ${keyType} and signs every scheme`, async () => {
      const backend = await openKey(join(dir, file), { env: NO_ENV });
      expect(backend.keyType).toBe(keyType);
      expect(backend.description).toBe(join(dir, file));
      const pub = openssl(['pkey', '-in', file, '-pubout']);
      expect(encodePem('PUBLIC KEY', await backend.publicKeySpki())).toBe(pub);
      await checkAllSchemes(backend, file);
      expect(await backend.certificateChain()).toEqual([]);
      await backend.close();
      await backend.close();
    });
  }

  it('SEC1 and PKCS#8 forms of one key give the same public key', async () => {
    const a = await openKey(join(dir, 'p256.pkcs8.pem'), { env: NO_ENV });
    const b = await openKey(join(dir, 'p256.sec1.pem'), { env: NO_ENV });
    expect(Buffer.from(await a.publicKeySpki())).toEqual(Buffer.from(await b.publicKeySpki()));
  });

  it('encrypted PKCS#8 and legacy encrypted PKCS#1 open with the passphrase from env, file or COSIGN_PASSWORD', async () => {
    for (const file of ['p256.enc.pem', 'rsa2048.enc.pem', 'rsa2048.pkcs1.enc.pem']) {
      const viaEnv = await openKey(join(dir, file), { env: { AIRSIGN_KEY_PASSWORD: PASS } });
      const viaCosignEnv = await openKey(join(dir, file), { env: { COSIGN_PASSWORD: PASS } });
      const viaFile = await openKey(join(dir, file), { passwordFile: join(dir, 'pass.txt'), env: { AIRSIGN_KEY_PASSWORD: 'ignored-when-file-given' } });
      expect(Buffer.from(await viaEnv.publicKeySpki())).toEqual(Buffer.from(await viaFile.publicKeySpki()));
      expect(Buffer.from(await viaCosignEnv.publicKeySpki())).toEqual(Buffer.from(await viaFile.publicKeySpki()));
    }
    await checkAllSchemes(await openKey(join(dir, 'p256.enc.pem'), { env: { AIRSIGN_KEY_PASSWORD: PASS } }), 'enc');
  });

  it('wrong, missing and unreadable passphrases fail with distinct key errors and no secret in them', async () => {
    const wrong = 'Wr0ng-Secret-991';
    const e1 = await rejectionOf(openKey(join(dir, 'p256.enc.pem'), { env: { AIRSIGN_KEY_PASSWORD: wrong } }));
    expect(e1).toMatchObject({ code: 'KEY_PASSPHRASE_WRONG', kind: 'key' });
    expect(`${e1.message}${JSON.stringify(e1.details)}`).not.toContain(wrong);
    await expect(openKey(join(dir, 'rsa2048.pkcs1.enc.pem'), { env: { AIRSIGN_KEY_PASSWORD: wrong } })).rejects.toMatchObject({ code: 'KEY_PASSPHRASE_WRONG' });
    await expect(openKey(join(dir, 'p256.enc.pem'), { env: NO_ENV })).rejects.toMatchObject({ code: 'KEY_PASSPHRASE_REQUIRED', kind: 'key' });
    await expect(openKey(join(dir, 'p256.enc.pem'), { passwordFile: join(dir, 'nope.txt'), env: NO_ENV })).rejects.toMatchObject({ code: 'KEY_SECRET_FILE_UNREADABLE' });
  });

  it('reads no process.env and never prompts by itself: only the env and promptSecret passed in', async () => {
    const saved = process.env['AIRSIGN_KEY_PASSWORD'];
    process.env['AIRSIGN_KEY_PASSWORD'] = PASS;
    try {
      await expect(openKey(join(dir, 'p256.enc.pem'))).rejects.toMatchObject({ code: 'KEY_PASSPHRASE_REQUIRED' });
    } finally {
      if (saved === undefined) delete process.env['AIRSIGN_KEY_PASSWORD'];
      else process.env['AIRSIGN_KEY_PASSWORD'] = saved;
    }
    const prompts: string[] = [];
    const promptSecret = async (prompt: string) => {
      prompts.push(prompt);
      return PASS;
    };
    const viaPrompt = await openKey(join(dir, 'p256.enc.pem'), { promptSecret });
    expect(prompts).toEqual([`Enter passphrase for ${join(dir, 'p256.enc.pem')}: `]);
    const viaEnv = await openKey(join(dir, 'p256.enc.pem'), { env: { AIRSIGN_KEY_PASSWORD: PASS }, promptSecret });
    expect(prompts).toHaveLength(1);
    expect(Buffer.from(await viaPrompt.publicKeySpki())).toEqual(Buffer.from(await viaEnv.publicKeySpki()));
  });

  it('rejects missing files, non-keys, public keys and unsupported curves with distinct codes', async () => {
    writeFileSync(join(dir, 'junk.pem'), 'hello');
    writeFileSync(join(dir, 'pub.pem'), openssl(['pkey', '-in', 'p256.pkcs8.pem', '-pubout']));
    writeFileSync(join(dir, 'broken.pem'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    await expect(openKey(join(dir, 'missing.pem'))).rejects.toMatchObject({ code: 'KEY_FILE_NOT_FOUND', kind: 'key' });
    await expect(openKey(join(dir, 'junk.pem'))).rejects.toMatchObject({ code: 'KEY_FORMAT_UNSUPPORTED' });
    await expect(openKey(join(dir, 'pub.pem'))).rejects.toMatchObject({ code: 'KEY_FORMAT_UNSUPPORTED', details: { pemLabel: 'PUBLIC KEY' } });
    await expect(openKey(join(dir, 'broken.pem'))).rejects.toMatchObject({ code: 'KEY_FORMAT_UNSUPPORTED' });
    await expect(openKey(join(dir, 'k1.pem'))).rejects.toMatchObject({ code: 'KEY_TYPE_UNSUPPORTED' });
  });

  it('a --cert chain is attached when it matches the key and refused when it does not', async () => {
    openssl(['req', '-new', '-x509', '-key', 'p256.pkcs8.pem', '-subj', '/CN=file-key-test', '-days', '2', '-out', 'p256.crt']);
    openssl(['req', '-new', '-x509', '-key', 'p384.pkcs8.pem', '-subj', '/CN=other', '-days', '2', '-out', 'p384.crt']);
    writeFileSync(join(dir, 'chain.pem'), readFileSync(join(dir, 'p256.crt'), 'utf8') + readFileSync(join(dir, 'p384.crt'), 'utf8'));
    const k = await openKey(join(dir, 'p256.pkcs8.pem'), { certificatePath: join(dir, 'chain.pem') });
    const chain = await k.certificateChain();
    expect(chain).toHaveLength(2);
    expect(encodePem('CERTIFICATE', chain[0] as Uint8Array)).toBe(readFileSync(join(dir, 'p256.crt'), 'utf8'));
    await expect(openKey(join(dir, 'p256.pkcs8.pem'), { certificatePath: join(dir, 'p384.crt') })).rejects.toMatchObject({ code: 'KEY_CERT_MISMATCH' });
    await expect(openKey(join(dir, 'p256.pkcs8.pem'), { certificatePath: join(dir, 'junk.pem') })).rejects.toMatchObject({ code: 'KEY_CERT_INVALID' });
  });
});

describe('generated keys', () => {
  for (const type of ['ecdsa-p256', 'ecdsa-p384', 'rsa-3072', 'ed25519'] as const) {
    it(`${type}: PKCS#8 that openssl reads, and every scheme verifies`, async () => {
      const pair = await generateKeyPair(type);
      const file = join(dir, `gen-${type}.pem`);
      writeFileSync(file, pair.privateKeyPem, { mode: 0o600 });
      expect(openssl(['pkey', '-in', file, '-pubout'])).toBe(pair.publicKeyPem);
      const backend = await openKey(file, { env: NO_ENV });
      expect(backend.keyType).toBe(type);
      await checkAllSchemes(backend, `gen-${type}`);
    });
  }

  it('cosign-format generated keys open with the password and sign', async () => {
    const pair = await generateKeyPair('ecdsa-p256', { cosign: 'cosign-pw', scryptN: 32768 });
    const file = join(dir, 'gen.cosign.key');
    writeFileSync(file, pair.privateKeyPem);
    expect(statSync(file).size).toBeGreaterThan(0);
    const backend = await openKey(file, { env: { COSIGN_PASSWORD: 'cosign-pw' } });
    expect(encodePem('PUBLIC KEY', await backend.publicKeySpki())).toBe(pair.publicKeyPem);
    const sig = await backend.sign(new TextEncoder().encode('x'), { algorithm: 'ecdsa', hash: 'sha256', encoding: 'der' });
    expect(verify('sha256', Buffer.from('x'), { key: createPublicKey(pair.publicKeyPem), dsaEncoding: 'der' }, sig)).toBe(true);
    await expect(openKey(file, { env: { COSIGN_PASSWORD: 'nope' } })).rejects.toMatchObject({ code: 'KEY_PASSPHRASE_WRONG' });
    // cosign allows an empty password
    const empty = await generateKeyPair('ecdsa-p256', { cosign: '', scryptN: 32768 });
    writeFileSync(join(dir, 'empty.key'), empty.privateKeyPem);
    expect((await openKey(join(dir, 'empty.key'), { env: { COSIGN_PASSWORD: '' } })).keyType).toBe('ecdsa-p256');
  });
});
