/**
 * The file key backend: a private key in a PEM file, held as a node:crypto KeyObject. Reads PKCS#8
 * (plain and `ENCRYPTED PRIVATE KEY`), SEC1 `EC PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY` (also
 * legacy Proc-Type encrypted) and cosign's `ENCRYPTED SIGSTORE/COSIGN PRIVATE KEY`.
 */
import { constants, createPrivateKey, createPublicKey, privateEncrypt, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { airsignError } from '../errors.js';
import type { KeyBackend, KeyType, SignatureScheme } from '../key-backend.js';
import { decryptCosignKey, isCosignKeyPem } from './cosign-key-file.js';
import { emsaPssEncode } from './rsa-pss-encoding.js';
import { resolveSecret, secretSourcesOf, type SecretSources } from './secret-source.js';
import { assertSchemeFits, checkDigestLength, digestInfo, hashLength, keyBits, keyTypeOf } from './signature-encoding.js';

export interface FileKeyOptions extends SecretSources {
  /** File holding the passphrase of an encrypted key. */
  passwordFile?: string;
  /** X.509 chain (DER, leaf first) to report from certificateChain(). */
  certificateChain?: Uint8Array[];
}

export const PASSPHRASE_ENV = ['AIRSIGN_KEY_PASSWORD', 'COSIGN_PASSWORD'] as const;

/** Loads a PEM private key file into a KeyBackend. */
export async function openFileKey(path: string, options: FileKeyOptions = {}): Promise<KeyBackend> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw airsignError(code === 'ENOENT' ? 'KEY_FILE_NOT_FOUND' : 'KEY_FILE_UNREADABLE', `cannot read key file ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'error')}`, {
      details: { path },
    });
  }
  const key = await privateKeyFromPem(text, path, options);
  return new FileKeyBackend(key, path, options.certificateChain ?? []);
}

/** Parses PEM text (any supported format) into a private KeyObject, asking for a passphrase if needed. */
async function privateKeyFromPem(text: string, name: string, options: FileKeyOptions = {}): Promise<KeyObject> {
  const passphrase = () =>
    resolveSecret({
      what: `passphrase for ${name}`,
      missingCode: 'KEY_PASSPHRASE_REQUIRED',
      envNames: PASSPHRASE_ENV,
      allowEmpty: true,
      ...(options.passwordFile === undefined ? {} : { file: options.passwordFile }),
      ...secretSourcesOf(options),
    });
  if (isCosignKeyPem(text)) {
    const der = await decryptCosignKey(text, await passphrase());
    return toPrivateKey(() => createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' }), name);
  }
  const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1];
  if (label === undefined) throw airsignError('KEY_FORMAT_UNSUPPORTED', `${name} is not a PEM private key`, { details: { path: name } });
  if (!['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY'].includes(label)) {
    throw airsignError('KEY_FORMAT_UNSUPPORTED', `${name} holds a ${label}, not a supported private key (PKCS#8, SEC1, PKCS#1 or cosign)`, {
      details: { path: name, pemLabel: label },
    });
  }
  const encrypted = label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(text);
  if (!encrypted) return toPrivateKey(() => createPrivateKey({ key: text, format: 'pem' }), name);
  const secret = await passphrase();
  return toPrivateKey(() => createPrivateKey({ key: text, format: 'pem', passphrase: secret }), name, true);
}

function toPrivateKey(make: () => KeyObject, name: string, encrypted = false): KeyObject {
  let key: KeyObject;
  try {
    key = make();
  } catch (error) {
    if (encrypted) throw airsignError('KEY_PASSPHRASE_WRONG', `wrong passphrase for ${name} (decryption failed)`, { details: { path: name } });
    throw airsignError('KEY_FORMAT_UNSUPPORTED', `${name} is not a readable private key`, { details: { path: name }, cause: error });
  }
  keyTypeOf(key); // throws KEY_TYPE_UNSUPPORTED for curves/sizes we do not sign with
  return key;
}

/** A KeyBackend over a node:crypto private key. */
class FileKeyBackend implements KeyBackend {
  readonly keyType: KeyType;
  readonly #key: KeyObject;
  readonly #spki: Uint8Array;
  readonly #chain: Uint8Array[];

  constructor(key: KeyObject, readonly description: string, chain: Uint8Array[] = []) {
    this.#key = key;
    this.keyType = keyTypeOf(key);
    this.#spki = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }));
    this.#chain = chain;
  }

  async publicKeySpki(): Promise<Uint8Array> {
    return this.#spki.slice();
  }

  async certificateChain(): Promise<Uint8Array[]> {
    return this.#chain.map((c) => c.slice());
  }

  async sign(message: Uint8Array, scheme: SignatureScheme): Promise<Uint8Array> {
    assertSchemeFits(this.keyType, scheme);
    const data = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
    switch (scheme.algorithm) {
      case 'ed25519':
        return new Uint8Array(cryptoSign(null, data, this.#key));
      case 'ecdsa':
        return new Uint8Array(cryptoSign(scheme.hash, data, { key: this.#key, dsaEncoding: scheme.encoding === 'raw' ? 'ieee-p1363' : 'der' }));
      case 'rsa-pss':
        return new Uint8Array(
          cryptoSign(scheme.hash, data, { key: this.#key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: hashLength(scheme.hash) }),
        );
      case 'rsa-pkcs1':
        return new Uint8Array(cryptoSign(scheme.hash, data, { key: this.#key, padding: constants.RSA_PKCS1_PADDING }));
    }
  }

  async signDigest(digest: Uint8Array, scheme: Exclude<SignatureScheme, { algorithm: 'ed25519' }>): Promise<Uint8Array> {
    assertSchemeFits(this.keyType, scheme);
    checkDigestLength(scheme.hash, digest);
    switch (scheme.algorithm) {
      case 'ecdsa': {
        // Loaded on first use: @noble/curves costs ~100 ms of startup that most runs never need.
        const { p256, p384, p521 } = await import('@noble/curves/nist.js');
        const curve = this.keyType === 'ecdsa-p256' ? p256 : this.keyType === 'ecdsa-p384' ? p384 : p521;
        const d = Buffer.from(this.#key.export({ format: 'jwk' }).d ?? '', 'base64url');
        const secret = new Uint8Array(curve.lengths.secretKey ?? d.length);
        secret.set(d, secret.length - d.length);
        try {
          return curve.sign(digest, secret, { prehash: false, lowS: false, format: scheme.encoding === 'raw' ? 'compact' : 'der' });
        } finally {
          secret.fill(0);
          d.fill(0);
        }
      }
      case 'rsa-pkcs1':
        return new Uint8Array(privateEncrypt({ key: this.#key, padding: constants.RSA_PKCS1_PADDING }, digestInfo(scheme.hash, digest)));
      case 'rsa-pss': {
        const block = emsaPssEncode(scheme.hash, digest, keyBits(this.keyType));
        return new Uint8Array(privateEncrypt({ key: this.#key, padding: constants.RSA_NO_PADDING }, block));
      }
    }
  }

  async close(): Promise<void> {}
}
