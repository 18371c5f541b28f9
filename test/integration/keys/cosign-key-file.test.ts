/**
 * cosign's encrypted key format, checked against an independent writer/reader: Python's
 * hashlib.scrypt + PyNaCl SecretBox (python3-nacl), following go-securesystemslib's JSON layout.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rejectionOf } from '../../helpers/signature-peers.js';
import { decryptCosignKey, encryptCosignKey, LEGACY_COSIGN_KEY_PEM_LABEL } from '../../../src/keys/cosign-key-file.js';

const PY = '/usr/bin/python3';
const PY_ENCRYPT = `
import sys, json, base64, hashlib, os, nacl.secret
pw, n, der = sys.argv[1].encode(), int(sys.argv[2]), bytes.fromhex(sys.stdin.read().strip())
salt, nonce = os.urandom(32), os.urandom(24)
key = hashlib.scrypt(pw, salt=salt, n=n, r=8, p=1, maxmem=512*1024*1024, dklen=32)
ct = nacl.secret.SecretBox(key).encrypt(der, nonce).ciphertext
doc = {"kdf": {"name": "scrypt", "params": {"N": n, "r": 8, "p": 1}, "salt": base64.b64encode(salt).decode()},
       "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
       "ciphertext": base64.b64encode(ct).decode()}
b = base64.b64encode(json.dumps(doc).encode()).decode()
print("-----BEGIN " + sys.argv[3] + "-----")
print("\\n".join(b[i:i+64] for i in range(0, len(b), 64)))
print("-----END " + sys.argv[3] + "-----")
`;
const PY_DECRYPT = `
import sys, json, base64, hashlib, nacl.secret
text = sys.stdin.read()
body = "".join(l for l in text.splitlines() if not l.startswith("-----"))
doc = json.loads(base64.b64decode(body))
p = doc["kdf"]["params"]
key = hashlib.scrypt(sys.argv[1].encode(), salt=base64.b64decode(doc["kdf"]["salt"]), n=p["N"], r=p["r"], p=p["p"], maxmem=512*1024*1024, dklen=32)
print(nacl.secret.SecretBox(key).decrypt(base64.b64decode(doc["ciphertext"]), base64.b64decode(doc["cipher"]["nonce"])).hex())
`;

function pkcs8(): Uint8Array {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }));
}

describe('cosign encrypted private keys', () => {
  it('decrypts a key written by an independent (Python/PyNaCl) writer, both PEM labels', async () => {
    const der = pkcs8();
    for (const label of ['ENCRYPTED SIGSTORE PRIVATE KEY', LEGACY_COSIGN_KEY_PEM_LABEL]) {
      const pem = execFileSync(PY, ['-c', PY_ENCRYPT, 'correct horse', '32768', label], { input: Buffer.from(der).toString('hex'), encoding: 'utf8' });
      expect(pem).toContain(`BEGIN ${label}`);
      expect(Buffer.from(await decryptCosignKey(pem, 'correct horse'))).toEqual(Buffer.from(der));
    }
  });

  it('writes keys the independent reader decrypts (default N = 65536, as cosign)', async () => {
    const der = pkcs8();
    const pem = await encryptCosignKey(der, 'päss wörd');
    expect(pem).toMatch(/^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
    const doc = JSON.parse(Buffer.from(pem.split('\n').filter((l) => !l.startsWith('-----')).join(''), 'base64').toString());
    expect(doc.kdf).toMatchObject({ name: 'scrypt', params: { N: 65536, r: 8, p: 1 } });
    expect(Buffer.from(doc.kdf.salt, 'base64')).toHaveLength(32);
    expect(doc.cipher.name).toBe('nacl/secretbox');
    expect(Buffer.from(doc.cipher.nonce, 'base64')).toHaveLength(24);
    const hex = execFileSync(PY, ['-c', PY_DECRYPT, 'päss wörd'], { input: pem, encoding: 'utf8' }).trim();
    expect(hex).toBe(Buffer.from(der).toString('hex'));
    // and round-trips through us into a usable key
    const back = await decryptCosignKey(pem, 'päss wörd');
    expect(createPrivateKey({ key: Buffer.from(back), format: 'der', type: 'pkcs8' }).asymmetricKeyType).toBe('ec');
  });

  it('fails cleanly on a wrong password, a tampered body and unsupported parameters', async () => {
    const pem = await encryptCosignKey(pkcs8(), 'right', { N: 32768 });
    const error = await rejectionOf(decryptCosignKey(pem, 'Xq-bad-pass-77'));
    expect(error).toMatchObject({ code: 'KEY_PASSPHRASE_WRONG', kind: 'key' });
    expect(`${error.message} ${JSON.stringify(error.details)}`).not.toContain('Xq-bad-pass-77');
    const doc = JSON.parse(Buffer.from(pem.split('\n').filter((l) => !l.startsWith('-----')).join(''), 'base64').toString());
    const rewrap = (d: unknown) => `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${Buffer.from(JSON.stringify(d)).toString('base64')}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`;
    const ct = Buffer.from(doc.ciphertext, 'base64');
    ct[20] = (ct[20] as number) ^ 1;
    await expect(decryptCosignKey(rewrap({ ...doc, ciphertext: ct.toString('base64') }), 'right')).rejects.toMatchObject({ code: 'KEY_PASSPHRASE_WRONG' });
    await expect(decryptCosignKey(rewrap({ ...doc, kdf: { ...doc.kdf, params: { N: 1024, r: 8, p: 1 } } }), 'right')).rejects.toMatchObject({ code: 'KEY_COSIGN_FORMAT' });
    await expect(decryptCosignKey(rewrap({ ...doc, cipher: { name: 'aes', nonce: doc.cipher.nonce } }), 'right')).rejects.toMatchObject({ code: 'KEY_COSIGN_FORMAT' });
    await expect(decryptCosignKey('-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nbm90IGpzb24=\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n', 'x')).rejects.toMatchObject({ code: 'KEY_COSIGN_FORMAT' });
    await expect(decryptCosignKey('-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n', 'x')).rejects.toMatchObject({ code: 'KEY_FORMAT_UNSUPPORTED' });
  });
});
