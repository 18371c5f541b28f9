/**
 * The PKCS#11 key backend: signs with a private key object on a token through the shared
 * module/session manager. Hashing happens here; the token gets CKM_ECDSA (digest in, raw r‖s out),
 * CKM_RSA_PKCS_PSS (digest in), CKM_RSA_PKCS (DigestInfo in) or CKM_EDDSA (whole message).
 */
import type { SecretSources } from '../secret-source.js';
import { X509Certificate } from 'node:crypto';
import { airsignError } from '../../errors.js';
import type { HashAlgorithm, KeyBackend, KeyType, SignatureScheme } from '../../key-backend.js';
import { assertLeafMatchesKey } from '../certificate-file.js';
import {
  assertSchemeFits,
  checkDigestLength,
  digestInfo,
  ecScalarLength,
  fitRsaSignature,
  hashLength,
  hashMessage,
  keyTypeOfSpki,
  rawToDerEcdsa,
  rsaModulusLength,
} from '../signature-encoding.js';
import { readKeyPublicParts } from './pkcs11-key-attributes.js';
import { pkcs11Error } from './pkcs11-errors.js';
import { CKM_EDDSA } from './pkcs11js-loader.js';
import { openTokenForUri, type Handle, type Pkcs11Token } from './pkcs11-session-manager.js';
import { parsePkcs11Uri, pkcs11Uri, type Pkcs11Uri } from './pkcs11-uri.js';
import type { Pkcs11RetryEvent } from './transient-retry.js';

export interface OpenPkcs11KeyOptions extends SecretSources {
  /** Chain (DER, leaf first) that overrides the token's certificate object. */
  certificateChain?: Uint8Array[];
  /** PIN file (used when the URI has neither pin-value nor pin-source). */
  pinFile?: string;
  /** Told about each retry of token discovery (the CLI prints these with --debug). */
  onRetry?: (event: Pkcs11RetryEvent) => void;
}

/** Opens the private key a `pkcs11:` URI names, logging in to its token once per process. */
export async function openPkcs11Key(uri: string | Pkcs11Uri, options: OpenPkcs11KeyOptions = {}): Promise<KeyBackend> {
  const parsed = typeof uri === 'string' ? parsePkcs11Uri(uri) : uri;
  if (parsed.token === undefined && parsed.slotId === undefined) {
    throw airsignError('PKCS11_URI_INCOMPLETE', 'the PKCS#11 URI must name a token (token=<label> or slot-id=<n>)');
  }
  if (parsed.object === undefined && parsed.id === undefined) {
    throw airsignError('PKCS11_URI_INCOMPLETE', 'the PKCS#11 URI must name a key (object=<label> or id=<hex bytes>)');
  }
  const { module, token } = await openTokenForUri(parsed, options);

  const lib = module.lib;
  const description = pkcs11Uri({
    token: token.label,
    ...(parsed.id === undefined ? {} : { id: parsed.id }),
    ...(parsed.object === undefined ? {} : { object: parsed.object }),
  }).toString();
  const privateKey = findOne(token, lib.CKO_PRIVATE_KEY, parsed, 'private key');
  const [idAttr, labelAttr] = token.attributes(privateKey, [lib.CKA_ID, lib.CKA_LABEL]);
  const pairSelector = {
    ...(idAttr !== undefined && idAttr.length > 0 ? { id: new Uint8Array(idAttr) } : {}),
    ...(labelAttr !== undefined && labelAttr.length > 0 ? { object: labelAttr.toString('utf8') } : {}),
  };
  const publicKey = findPair(token, lib.CKO_PUBLIC_KEY, pairSelector);
  const chain = options.certificateChain;
  let tokenCert: Uint8Array | undefined;
  if (chain === undefined) {
    const certHandle = findPair(token, lib.CKO_CERTIFICATE, pairSelector);
    if (certHandle !== undefined) {
      const [value] = token.attributes(certHandle, [lib.CKA_VALUE]);
      if (value !== undefined && value.length > 0) tokenCert = new Uint8Array(value);
    }
  }
  let parts = readKeyPublicParts(token, privateKey, publicKey);
  if (parts === undefined && (chain?.[0] ?? tokenCert) !== undefined) {
    // No public key object: take the public key from the certificate.
    const cert = new X509Certificate(chain?.[0] ?? (tokenCert as Uint8Array));
    const spki = new Uint8Array(cert.publicKey.export({ format: 'der', type: 'spki' }));
    parts = { keyType: keyTypeOfSpki(spki), spki };
  }
  if (parts === undefined) {
    throw airsignError('PKCS11_PUBLIC_KEY_NOT_FOUND', `no public key found for ${description} (no public key object, no certificate)`);
  }
  if (chain !== undefined && chain.length > 0) assertLeafMatchesKey(chain[0] as Uint8Array, parts.spki, 'given with --cert');
  if (tokenCert !== undefined) assertLeafMatchesKey(tokenCert, parts.spki, `on token "${token.label}"`);
  return new Pkcs11KeyBackend(token, privateKey, description, parts.keyType, parts.spki, chain ?? (tokenCert === undefined ? [] : [tokenCert]));
}

function template(token: Pkcs11Token, cls: number, selector: { id?: Uint8Array; object?: string }, use: 'id' | 'label') {
  const lib = token.module.lib;
  const t: Array<{ type: number; value: number | Buffer | string }> = [{ type: lib.CKA_CLASS, value: cls }];
  if (use === 'id' && selector.id !== undefined) t.push({ type: lib.CKA_ID, value: Buffer.from(selector.id) });
  if (use === 'label' && selector.object !== undefined) t.push({ type: lib.CKA_LABEL, value: selector.object });
  return t;
}

/** Exactly one object of `cls`, by id (id beats label, as cosign), narrowed by label when ambiguous. */
function findOne(token: Pkcs11Token, cls: number, selector: { id?: Uint8Array; object?: string }, what: string): Handle {
  const lib = token.module.lib;
  let handles = token.findObjects(template(token, cls, selector, selector.id !== undefined ? 'id' : 'label'));
  if (handles.length > 1 && selector.id !== undefined && selector.object !== undefined) {
    handles = handles.filter((h) => token.attributes(h, [lib.CKA_LABEL])[0]?.toString('utf8') === selector.object);
  }
  const name = [
    selector.object === undefined ? undefined : `label "${selector.object}"`,
    selector.id === undefined ? undefined : `id ${Buffer.from(selector.id).toString('hex')}`,
  ].filter(Boolean).join(' and ');
  if (handles.length === 0) {
    throw airsignError('PKCS11_OBJECT_NOT_FOUND', `no ${what} with ${name} on token "${token.label}"${token.loggedIn ? '' : ' (not logged in)'}`, {
      details: { token: token.label, ...(selector.object === undefined ? {} : { object: selector.object }), ...(selector.id === undefined ? {} : { id: Buffer.from(selector.id).toString('hex') }) },
    });
  }
  if (handles.length > 1) {
    throw airsignError('PKCS11_OBJECT_AMBIGUOUS', `${handles.length} objects match ${name} on token "${token.label}"; give both id and object`, {
      details: { token: token.label },
    });
  }
  return handles[0] as Handle;
}

/** The object of `cls` paired with a key: same id, else same label; undefined if none or ambiguous. */
function findPair(token: Pkcs11Token, cls: number, selector: { id?: Uint8Array; object?: string }): Handle | undefined {
  if (selector.id !== undefined) {
    const byId = token.findObjects(template(token, cls, selector, 'id'));
    if (byId.length === 1) return byId[0];
    if (byId.length > 1 && selector.object !== undefined) {
      const lib = token.module.lib;
      const narrowed = byId.filter((h) => token.attributes(h, [lib.CKA_LABEL])[0]?.toString('utf8') === selector.object);
      if (narrowed.length === 1) return narrowed[0];
    }
    if (byId.length > 0) return undefined;
  }
  if (selector.object !== undefined) {
    const byLabel = token.findObjects(template(token, cls, selector, 'label'));
    if (byLabel.length === 1) return byLabel[0];
  }
  return undefined;
}

export class Pkcs11KeyBackend implements KeyBackend {
  #closed = false;

  constructor(
    readonly token: Pkcs11Token,
    readonly handle: Handle,
    readonly description: string,
    readonly keyType: KeyType,
    readonly spki: Uint8Array,
    readonly chain: Uint8Array[],
  ) {}

  async publicKeySpki(): Promise<Uint8Array> {
    return this.spki.slice();
  }

  async certificateChain(): Promise<Uint8Array[]> {
    return this.chain.map((c) => c.slice());
  }

  async sign(message: Uint8Array, scheme: SignatureScheme): Promise<Uint8Array> {
    assertSchemeFits(this.keyType, scheme);
    if (scheme.algorithm === 'ed25519') return this.#raw({ mechanism: CKM_EDDSA }, message, 64);
    return this.signDigestSync(hashMessage(scheme.hash, message), scheme);
  }

  async signDigest(digest: Uint8Array, scheme: Exclude<SignatureScheme, { algorithm: 'ed25519' }>): Promise<Uint8Array> {
    return this.signDigestSync(digest, scheme);
  }

  /** Synchronous form of signDigest (for tight loops and benchmarks). */
  signDigestSync(digest: Uint8Array, scheme: Exclude<SignatureScheme, { algorithm: 'ed25519' }>): Uint8Array {
    assertSchemeFits(this.keyType, scheme);
    checkDigestLength(scheme.hash, digest);
    const lib = this.token.module.lib;
    switch (scheme.algorithm) {
      case 'ecdsa': {
        const raw = this.#raw({ mechanism: lib.CKM_ECDSA }, digest, 2 * ecScalarLength(this.keyType));
        return scheme.encoding === 'der' ? rawToDerEcdsa(raw) : raw;
      }
      case 'rsa-pss': {
        const parameter = { type: lib.CK_PARAMS_RSA_PSS, hashAlg: HASH_MECH(lib)[scheme.hash], mgf: MGF(lib)[scheme.hash], saltLen: hashLength(scheme.hash) };
        const k = rsaModulusLength(this.keyType);
        return fitRsaSignature(this.#raw({ mechanism: lib.CKM_RSA_PKCS_PSS, parameter }, digest, k), k);
      }
      case 'rsa-pkcs1': {
        const k = rsaModulusLength(this.keyType);
        return fitRsaSignature(this.#raw({ mechanism: lib.CKM_RSA_PKCS }, digestInfo(scheme.hash, digest), k), k);
      }
    }
  }

  #raw(mechanism: { mechanism: number; parameter?: unknown }, data: Uint8Array, outLength: number): Uint8Array {
    if (this.#closed) throw airsignError('KEY_CLOSED', `${this.description} was closed`);
    const { p11 } = this.token.module;
    const session = this.token.session();
    try {
      p11.C_SignInit(session, mechanism as Parameters<typeof p11.C_SignInit>[1], this.handle);
      const out = p11.C_Sign(session, Buffer.from(data.buffer, data.byteOffset, data.byteLength), Buffer.alloc(outLength));
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (error) {
      throw pkcs11Error(error, { operation: 'sign', token: this.token.label, key: this.description });
    }
  }

  /**
   * Marks this backend closed. The token session and login stay for other backends of the process
   * until finalizePkcs11Modules() (the CLI calls it at exit; library users call it when done).
   */
  async close(): Promise<void> {
    this.#closed = true;
  }
}

function HASH_MECH(lib: Pkcs11Token['module']['lib']): Record<HashAlgorithm, number> {
  return { sha256: lib.CKM_SHA256, sha384: lib.CKM_SHA384, sha512: lib.CKM_SHA512 };
}

function MGF(lib: Pkcs11Token['module']['lib']): Record<HashAlgorithm, number> {
  return { sha256: lib.CKG_MGF1_SHA256, sha384: lib.CKG_MGF1_SHA384, sha512: lib.CKG_MGF1_SHA512 };
}
