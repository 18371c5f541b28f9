/**
 * The PKCS#11 key backend: signs with a private key object on a token through the shared
 * module/session manager. The mechanism is chosen from what the token offers (see
 * pkcs11-mechanism-choice.ts): raw where offered (hashing happens here: CKM_ECDSA digest in, raw r‖s
 * out; CKM_RSA_PKCS_PSS digest in; CKM_RSA_PKCS DigestInfo in), else hash-and-sign (the message in);
 * CKM_EDDSA takes the whole message. A CKA_ALWAYS_AUTHENTICATE key gets a context-specific login
 * before each C_Sign, with the PIN already read. C_Sign answered with a transient error (a device
 * or general error: a signature has no state on the token) is tried again, a few times.
 */
import type { SecretSources } from '../secret-source.js';
import { X509Certificate } from 'node:crypto';
import { airsignError } from '../../errors.js';
import type { KeyBackend, KeyType, SignatureScheme } from '../../key-backend.js';
import { assertLeafMatchesKey } from '../certificate-file.js';
import {
  assertSchemeFits,
  checkDigestLength,
  digestInfo,
  ecScalarLength,
  fitRsaSignature,
  hashMessage,
  keyTypeOfSpki,
  rawToDerEcdsa,
  rsaModulusLength,
} from '../signature-encoding.js';
import { readKeyPublicParts } from './pkcs11-key-attributes.js';
import { objectNotFound } from './pkcs11-inventory.js';
import { pkcs11Error } from './pkcs11-errors.js';
import { chooseMechanism, type MechanismChoice } from './pkcs11-mechanism-choice.js';
import { openTokenForUri, type Handle, type Pkcs11Token } from './pkcs11-session-manager.js';
import { parsePkcs11Uri, pkcs11Uri, type Pkcs11Uri } from './pkcs11-uri.js';
import { isTransientPkcs11Failure, withTransientRetry, type Pkcs11RetryEvent } from './transient-retry.js';

export interface OpenPkcs11KeyOptions extends SecretSources {
  /** Chain (DER, leaf first) that overrides the token's certificate object. */
  certificateChain?: Uint8Array[];
  /** PIN file (used when the URI has neither pin-value nor pin-source). */
  pinFile?: string;
  /** Module used when the URI has no module-path. */
  modulePath?: string;
  /** The module's init string (C_Initialize pReserved) when the URI has no module-init-args. */
  moduleInitArgs?: string;
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
  const { module, token, pin } = await openTokenForUri(parsed, options);

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
    throw airsignError('PKCS11_PUBLIC_KEY_NOT_FOUND', `no public key found for ${description} (no public key object, no certificate)`, { details: { token: token.label } });
  }
  if (chain !== undefined && chain.length > 0) assertLeafMatchesKey(chain[0] as Uint8Array, parts.spki, 'given with options.keyOptions.certificatePath');
  if (tokenCert !== undefined) assertLeafMatchesKey(tokenCert, parts.spki, `on token "${token.label}"`);
  const [alwaysAuthenticate] = token.attributes(privateKey, [lib.CKA_ALWAYS_AUTHENTICATE]);
  const contextPin = alwaysAuthenticate?.[0] === 1 ? await token.contextPin(pin) : undefined;
  return new Pkcs11KeyBackend(token, privateKey, description, parts.keyType, parts.spki, chain ?? (tokenCert === undefined ? [] : [tokenCert]), {
    ...(contextPin === undefined ? {} : { contextPin }),
    ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }),
  });
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
    throw objectNotFound(token, `no ${what} with ${name} on token "${token.label}"${token.loggedIn ? '' : ' (not logged in)'}`, selector);
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

export interface Pkcs11KeyBackendOptions {
  /** Set for a CKA_ALWAYS_AUTHENTICATE key: the PIN for the context-specific login before each C_Sign. */
  contextPin?: string;
  /** Told about each retry of a signature. */
  onRetry?: (event: Pkcs11RetryEvent) => void;
}

/** Attempts in all for one signature answered with transient errors. */
const SIGN_ATTEMPTS = 4;

export class Pkcs11KeyBackend implements KeyBackend {
  #closed = false;
  readonly #choices = new Map<string, MechanismChoice>();

  constructor(
    readonly token: Pkcs11Token,
    readonly handle: Handle,
    readonly description: string,
    readonly keyType: KeyType,
    readonly spki: Uint8Array,
    readonly chain: Uint8Array[],
    readonly options: Pkcs11KeyBackendOptions = {},
  ) {}

  /** True when the key asks for a PIN per signature (CKA_ALWAYS_AUTHENTICATE). */
  get alwaysAuthenticate(): boolean {
    return this.options.contextPin !== undefined;
  }

  async publicKeySpki(): Promise<Uint8Array> {
    return this.spki.slice();
  }

  async certificateChain(): Promise<Uint8Array[]> {
    return this.chain.map((c) => c.slice());
  }

  async sign(message: Uint8Array, scheme: SignatureScheme): Promise<Uint8Array> {
    assertSchemeFits(this.keyType, scheme);
    const choice = this.#choose(scheme, true);
    if (scheme.algorithm === 'ed25519') return this.#retrying(() => this.#raw(choice, message, 64));
    if (choice.input === 'message') return this.#retrying(() => this.#encode(scheme, this.#raw(choice, message, this.#outLength(scheme))));
    return this.#retrying(() => this.#signDigestWith(choice, hashMessage(scheme.hash, message), scheme));
  }

  async signDigest(digest: Uint8Array, scheme: Exclude<SignatureScheme, { algorithm: 'ed25519' }>): Promise<Uint8Array> {
    assertSchemeFits(this.keyType, scheme);
    checkDigestLength(scheme.hash, digest);
    const choice = this.#choose(scheme, false);
    return this.#retrying(() => this.#signDigestWith(choice, digest, scheme));
  }

  /** Synchronous form of signDigest, without retries (for tight loops and benchmarks). */
  signDigestSync(digest: Uint8Array, scheme: Exclude<SignatureScheme, { algorithm: 'ed25519' }>): Uint8Array {
    assertSchemeFits(this.keyType, scheme);
    checkDigestLength(scheme.hash, digest);
    return this.#signDigestWith(this.#choose(scheme, false), digest, scheme);
  }

  /** The mechanism for `scheme`, chosen once per backend from the token's mechanism list. */
  #choose(scheme: SignatureScheme, haveMessage: boolean): MechanismChoice {
    const key = `${scheme.algorithm}/${'hash' in scheme ? scheme.hash : ''}/${haveMessage}`;
    let choice = this.#choices.get(key);
    if (choice === undefined) {
      choice = chooseMechanism(scheme, this.token.signMechanisms(), haveMessage, { token: this.token.label, modulePath: this.token.module.path });
      this.#choices.set(key, choice);
    }
    return choice;
  }

  #signDigestWith(choice: MechanismChoice, digest: Uint8Array, scheme: Exclude<SignatureScheme, { algorithm: 'ed25519' }>): Uint8Array {
    const input = choice.input === 'digest-info' ? digestInfo(scheme.hash, digest) : digest;
    return this.#encode(scheme, this.#raw(choice, input, this.#outLength(scheme)));
  }

  #outLength(scheme: Exclude<SignatureScheme, { algorithm: 'ed25519' }>): number {
    return scheme.algorithm === 'ecdsa' ? 2 * ecScalarLength(this.keyType) : rsaModulusLength(this.keyType);
  }

  /** The token's answer in the scheme's encoding (ECDSA raw r‖s or DER; RSA padded to the modulus length). */
  #encode(scheme: SignatureScheme, signature: Uint8Array): Uint8Array {
    switch (scheme.algorithm) {
      case 'ecdsa':
        return scheme.encoding === 'der' ? rawToDerEcdsa(signature) : signature;
      case 'rsa-pss':
      case 'rsa-pkcs1': {
        const k = rsaModulusLength(this.keyType);
        return fitRsaSignature(signature, k);
      }
      case 'ed25519':
        return signature;
    }
  }

  /**
   * Retries a whole signature (C_SignInit, context login, C_Sign) on transient answers. A context
   * login answered so (SoftHSM: CKR_GENERAL_ERROR while another process rewrites the token store,
   * before it looked at the PIN) is retried only while the token reports no wrong PIN entered, as
   * the session login is (findTokenAndLogIn); CKR_PIN_INCORRECT is never retried.
   */
  #retrying(step: () => Uint8Array): Promise<Uint8Array> {
    return withTransientRetry('sign', step, {
      attempts: SIGN_ATTEMPTS,
      baseDelayMs: 20,
      isTransient: (error) => {
        if (!isTransientPkcs11Failure(error)) return false;
        const operation = (error as { details: Record<string, unknown> }).details.operation;
        if (operation === 'sign') return true;
        if (operation !== 'context-specific login') return false;
        try {
          this.token.flags();
          return !this.token.wrongPinReported();
        } catch {
          return false;
        }
      },
      ...(this.options.onRetry === undefined ? {} : { onRetry: this.options.onRetry }),
    });
  }

  #raw(choice: MechanismChoice, data: Uint8Array, outLength: number): Uint8Array {
    if (this.#closed) throw airsignError('KEY_CLOSED', `${this.description} was closed`);
    const { p11 } = this.token.module;
    const session = this.token.session();
    const mechanism = { mechanism: choice.mechanism, ...(choice.pss === undefined ? {} : { pss: choice.pss }) };
    try {
      p11.C_SignInit(session, mechanism, this.handle);
    } catch (error) {
      throw pkcs11Error(error, { operation: 'sign', token: this.token.label, key: this.description, mechanism: choice.mechanism, modulePath: this.token.module.path });
    }
    if (this.options.contextPin !== undefined) this.token.contextLogin(session, this.options.contextPin, this.description);
    try {
      const out = p11.C_Sign(session, data, Buffer.alloc(outLength));
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (error) {
      throw pkcs11Error(error, { operation: 'sign', token: this.token.label, key: this.description, mechanism: choice.mechanism, modulePath: this.token.module.path });
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
