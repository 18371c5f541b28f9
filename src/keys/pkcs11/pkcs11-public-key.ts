/**
 * The public key a `pkcs11:` URI names, for verification: read without a login when the token
 * shows a public key object or a certificate for it (public objects need no PIN), else — only when
 * a PIN source is at hand — through the signing backend, which logs in and reads the key pair.
 */
import { X509Certificate } from 'node:crypto';
import { airsignError } from '../../errors.js';
import { readKeyPublicParts } from './pkcs11-key-attributes.js';
import { keysInOneLine, tokenKeys } from './pkcs11-inventory.js';
import { openPkcs11Key, type OpenPkcs11KeyOptions } from './pkcs11-key.js';
import { findTokenAndLogIn, getPkcs11Module, hasPinSource, resolveModulePath, type Handle, type Pkcs11Token } from './pkcs11-session-manager.js';
import { parsePkcs11Uri, pkcs11Uri } from './pkcs11-uri.js';

export interface Pkcs11PublicKey {
  /** The key's URI without module path or PIN. */
  description: string;
  spki: Uint8Array;
}

export async function readPkcs11PublicKey(uri: string, options: OpenPkcs11KeyOptions = {}): Promise<Pkcs11PublicKey> {
  const parsed = parsePkcs11Uri(uri);
  if (parsed.token === undefined && parsed.slotId === undefined) {
    throw airsignError('PKCS11_URI_INCOMPLETE', 'the PKCS#11 URI must name a token (token=<label> or slot-id=<n>)');
  }
  if (parsed.object === undefined && parsed.id === undefined) {
    throw airsignError('PKCS11_URI_INCOMPLETE', 'the PKCS#11 URI must name a key (object=<label> or id=<hex bytes>)');
  }
  const module = getPkcs11Module(resolveModulePath(parsed.modulePath || options.modulePath, options.env ?? {}), parsed.moduleInitArgs ?? options.moduleInitArgs);
  const selector = { ...(parsed.token === undefined ? {} : { label: parsed.token }), ...(parsed.slotId === undefined ? {} : { slotId: parsed.slotId }) };
  const token = await findTokenAndLogIn(module, selector, { openSession: true, ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }) });
  const description = pkcs11Uri({
    token: token.label,
    ...(parsed.id === undefined ? {} : { id: parsed.id }),
    ...(parsed.object === undefined ? {} : { object: parsed.object }),
  }).toString();
  const objectSelector = { ...(parsed.id === undefined ? {} : { id: parsed.id }), ...(parsed.object === undefined ? {} : { object: parsed.object }) };
  const lib = token.module.lib;
  const publicKey = findUnique(token, lib.CKO_PUBLIC_KEY, objectSelector);
  if (publicKey !== undefined) {
    const parts = readKeyPublicParts(token, undefined, publicKey);
    if (parts !== undefined) return { description, spki: parts.spki };
  }
  const certificate = findUnique(token, lib.CKO_CERTIFICATE, objectSelector);
  if (certificate !== undefined) {
    const [value] = token.attributes(certificate, [lib.CKA_VALUE]);
    if (value !== undefined && value.length > 0) {
      return { description, spki: new Uint8Array(new X509Certificate(value).publicKey.export({ format: 'der', type: 'spki' })) };
    }
  }
  const pin = { ...options, ...(parsed.pinValue === undefined ? {} : { pinValue: parsed.pinValue }), ...(parsed.pinSource === undefined ? {} : { pinFile: parsed.pinSource }) };
  // Nothing public names this key: a label or id typo, or a key whose public part is private (or
  // missing). Without a login the two look the same, so say what the token does show.
  const visible = tokenKeys(token);
  const hidden = `token "${token.label}" shows no public key object or certificate for ${description} without a login (keys it shows: ${keysInOneLine(visible)})`;
  if (!hasPinSource(pin) && options.promptSecret === undefined) {
    throw airsignError('PKCS11_PUBLIC_KEY_NOT_FOUND', `${hidden}; give the PIN (pin-source=, options.keyOptions.pinFile or AIRSIGN_PKCS11_PIN) to read it from the key pair`, {
      details: { token: token.label, ...selectorDetails(objectSelector), available: visible.map((k) => ({ label: k.label, id: k.id, keyType: k.keyType })) },
    });
  }
  // The token hides the public key: read it from the key pair after a login, and say why a PIN is asked.
  const prompt = options.promptSecret;
  const backend = await openPkcs11Key(uri, {
    ...options,
    ...(prompt === undefined ? {} : { promptSecret: (text: string) => prompt(`${hidden}, so the key pair is read after a login.\n${text}`) }),
  });
  try {
    return { description, spki: await backend.publicKeySpki() };
  } finally {
    await backend.close();
  }
}

function selectorDetails(selector: { id?: Uint8Array; object?: string }): { object?: string; id?: string } {
  return { ...(selector.object === undefined ? {} : { object: selector.object }), ...(selector.id === undefined ? {} : { id: Buffer.from(selector.id).toString('hex') }) };
}

/** The one object of `cls` with the id (else the label); undefined when none or several. */
function findUnique(token: Pkcs11Token, cls: number, selector: { id?: Uint8Array; object?: string }): Handle | undefined {
  const lib = token.module.lib;
  const template: Array<{ type: number; value: number | Buffer | string }> = [{ type: lib.CKA_CLASS, value: cls }];
  if (selector.id !== undefined) template.push({ type: lib.CKA_ID, value: Buffer.from(selector.id) });
  else if (selector.object !== undefined) template.push({ type: lib.CKA_LABEL, value: selector.object });
  let handles = token.findObjects(template);
  if (handles.length > 1 && selector.id !== undefined && selector.object !== undefined) {
    handles = handles.filter((h) => token.attributes(h, [lib.CKA_LABEL])[0]?.toString('utf8') === selector.object);
  }
  return handles.length === 1 ? handles[0] : undefined;
}
