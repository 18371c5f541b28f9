/** What a PKCS#11 module holds: tokens, key pairs and certificates, each with the URI to use. */
import { X509Certificate } from 'node:crypto';
import { airsignError, type AirsignError } from '../../errors.js';
import type { KeyType } from '../../key-backend.js';
import { keyBits } from '../signature-encoding.js';
import { readKeyPublicParts } from './pkcs11-key-attributes.js';
import { findTokenAndLogIn, getPkcs11Module, hasPinSource, resolveModulePath, type Handle, type PinOptions, type Pkcs11Token, type TokenInfoSummary, type TokenSelector } from './pkcs11-session-manager.js';
import { pkcs11Uri } from './pkcs11-uri.js';

export interface Pkcs11TokenListing {
  slotId: string;
  label: string;
  manufacturer: string;
  model: string;
  serial: string;
  loginRequired: boolean;
  pinLocked: boolean;
  /** URI naming the token (no PIN). */
  uri: string;
}

export interface Pkcs11KeyListing {
  label: string | null;
  /** CKA_ID, lowercase hex. */
  id: string;
  keyType: KeyType | null;
  bits: number | null;
  hasPrivateKey: boolean;
  hasPublicKey: boolean;
  hasCertificate: boolean;
  /** URI that opens this key (no PIN). */
  uri: string;
}

export interface Pkcs11CertificateListing {
  label: string | null;
  id: string;
  subject: string | null;
  notAfter: string | null;
  uri: string;
}

export interface Pkcs11TokenContents {
  token: Pkcs11TokenListing;
  /** False when no PIN was available: private keys are then not visible. */
  loggedIn: boolean;
  keys: Pkcs11KeyListing[];
  certificates: Pkcs11CertificateListing[];
}

export interface ListOptions extends PinOptions {
  /** Log in (default: when a PIN source other than a prompt exists, or promptSecret is given). */
  login?: boolean;
  /** The module's init string (C_Initialize pReserved), e.g. NSS softokn's configuration. */
  moduleInitArgs?: string;
}

const sortById = <T extends { id: string; label: string | null }>(a: T, b: T) => a.id.localeCompare(b.id) || (a.label ?? '').localeCompare(b.label ?? '');

function tokenListing(info: TokenInfoSummary, modulePath: string): Pkcs11TokenListing {
  return {
    slotId: info.slotId.toString(),
    label: info.label,
    manufacturer: info.manufacturer,
    model: info.model,
    serial: info.serial,
    loginRequired: info.loginRequired,
    pinLocked: info.pinLocked,
    uri: pkcs11Uri({ token: info.label, modulePath }).toString(),
  };
}

/** Tokens present in the module's slots (module path from the argument, else AIRSIGN_PKCS11_MODULE / COSIGN_PKCS11_MODULE_PATH in `env`). */
export function listTokens(modulePath?: string, env: NodeJS.ProcessEnv = {}, moduleInitArgs?: string): Pkcs11TokenListing[] {
  const path = resolveModulePath(modulePath, env);
  return getPkcs11Module(path, moduleInitArgs).listTokens().filter((t) => t.initialized).map((t) => tokenListing(t, path));
}

/** Keys and certificates on one token (selected by exact label or slot id). */
export async function listObjects(modulePath: string | undefined, selector: TokenSelector, options: ListOptions = {}): Promise<Pkcs11TokenContents> {
  const path = resolveModulePath(modulePath, options.env ?? {});
  const module = getPkcs11Module(path, options.moduleInitArgs);
  const login = options.login ?? (hasPinSource(options) || options.promptSecret !== undefined);
  const token = await findTokenAndLogIn(module, selector, login ? { pin: options } : {});
  const lib = token.module.lib;
  const keyUri = (label: string | null, id: Buffer) => keyUriOn(token, label, id, path);
  const keys = tokenKeys(token, path);
  const certs = token.findObjects([{ type: lib.CKA_CLASS, value: lib.CKO_CERTIFICATE }], 1024).map((h) => readLabelAndId(token, h));
  const certificates: Pkcs11CertificateListing[] = certs.map((c) => {
    const [value] = token.attributes(c.handle, [lib.CKA_VALUE]);
    let subject: string | null = null;
    let notAfter: string | null = null;
    try {
      if (value) {
        const x = new X509Certificate(value);
        subject = x.subject.replace(/\n/g, ', ');
        notAfter = new Date(x.validTo).toISOString();
      }
    } catch {
      /* not X.509: listed without subject */
    }
    return { label: c.label, id: c.id.toString('hex'), subject, notAfter, uri: `${keyUri(c.label, c.id).replace('?', ';type=cert?')}` };
  });
  certificates.sort(sortById);
  return { token: tokenListing(token.info, path), loggedIn: token.loggedIn, keys, certificates };
}

function keyUriOn(token: Pkcs11Token, label: string | null, id: Buffer, modulePath?: string): string {
  return pkcs11Uri({ token: token.label, ...(id.length > 0 ? { id: new Uint8Array(id) } : {}), ...(label === null ? {} : { object: label }), ...(modulePath === undefined ? {} : { modulePath }) }).toString();
}

function readLabelAndId(token: Pkcs11Token, handle: Handle): { handle: Handle; label: string | null; id: Buffer } {
  const lib = token.module.lib;
  const [label, id] = token.attributes(handle, [lib.CKA_LABEL, lib.CKA_ID]);
  return { handle, label: label && label.length > 0 ? label.toString('utf8') : null, id: id ?? Buffer.alloc(0) };
}

/**
 * The keys an open token shows (pairs of private and public key objects, matched by id, else by
 * label; private keys only when logged in), sorted by id. URIs carry `modulePath` when given.
 */
export function tokenKeys(token: Pkcs11Token, modulePath?: string): Pkcs11KeyListing[] {
  const lib = token.module.lib;
  const privates = token.findObjects([{ type: lib.CKA_CLASS, value: lib.CKO_PRIVATE_KEY }], 1024).map((h) => readLabelAndId(token, h));
  const publics = token.findObjects([{ type: lib.CKA_CLASS, value: lib.CKO_PUBLIC_KEY }], 1024).map((h) => readLabelAndId(token, h));
  const certs = token.findObjects([{ type: lib.CKA_CLASS, value: lib.CKO_CERTIFICATE }], 1024).map((h) => readLabelAndId(token, h));
  const pairKey = (o: { label: string | null; id: Buffer }) => (o.id.length > 0 ? `id:${o.id.toString('hex')}` : `label:${o.label ?? ''}`);

  const pairs = new Map<string, { label: string | null; id: Buffer; priv?: Handle; pub?: Handle }>();
  for (const o of privates) pairs.set(pairKey(o), { label: o.label, id: o.id, priv: o.handle });
  for (const o of publics) {
    const existing = pairs.get(pairKey(o));
    if (existing) existing.pub = o.handle;
    else pairs.set(pairKey(o), { label: o.label, id: o.id, pub: o.handle });
  }
  const certKeys = new Set(certs.map(pairKey));
  const keys: Pkcs11KeyListing[] = [...pairs.values()].map((p) => {
    let keyType: KeyType | null;
    try {
      keyType = readKeyPublicParts(token, p.priv, p.pub)?.keyType ?? null;
    } catch {
      keyType = null; // unsupported curve or type: listed without a type
    }
    return {
      label: p.label,
      id: p.id.toString('hex'),
      keyType,
      bits: keyType === null ? null : keyBits(keyType),
      hasPrivateKey: p.priv !== undefined,
      hasPublicKey: p.pub !== undefined,
      hasCertificate: certKeys.has(pairKey(p)),
      uri: keyUriOn(token, p.label, p.id, modulePath),
    };
  });
  return keys.sort(sortById);
}

/**
 * The keys of a listing in one line, for a "no such key" message: `"signer" (id 01, ecdsa-p256),
 * …`, at most `max` of them.
 */
export function keysInOneLine(keys: readonly Pkcs11KeyListing[], max = 12): string {
  if (keys.length === 0) return 'none visible';
  const shown = keys.slice(0, max).map((k) => `${k.label === null ? '(no label)' : `"${k.label}"`} (${[k.id === '' ? undefined : `id ${k.id}`, k.keyType ?? 'unsupported type'].filter(Boolean).join(', ')})`);
  return `${shown.join(', ')}${keys.length > max ? `, and ${keys.length - max} more` : ''}`;
}

/**
 * PKCS11_OBJECT_NOT_FOUND for a key the URI names, listing the keys the token does show (labels,
 * ids, types), as a token typo lists the tokens.
 */
export function objectNotFound(token: Pkcs11Token, message: string, selector: { id?: Uint8Array; object?: string }): AirsignError {
  const keys = tokenKeys(token);
  return airsignError('PKCS11_OBJECT_NOT_FOUND', `${message} (keys: ${keysInOneLine(keys)})`, {
    details: {
      token: token.label,
      ...(selector.object === undefined ? {} : { object: selector.object }),
      ...(selector.id === undefined ? {} : { id: Buffer.from(selector.id).toString('hex') }),
      available: keys.map((k) => ({ label: k.label, id: k.id, keyType: k.keyType })),
    },
  });
}
