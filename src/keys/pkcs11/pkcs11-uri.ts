/**
 * PKCS#11 URIs (RFC 7512) as cosign accepts them:
 *   pkcs11:token=rel;object=signer;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin
 * Path attributes are separated by `;` (cosign also takes `&`), query attributes by `&`. Values are
 * percent-decoded; `id` is bytes. Unknown attributes are ignored (as cosign). The PIN (`pin-value`)
 * is kept out of every string form and out of JSON/inspect output, and no error message quotes a
 * part of the URI that could be a piece of it (a PIN holding an unencoded `;` or `&` is split there).
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { airsignError } from '../../errors.js';

/** Whose path rules a `pin-source=file:` URI follows (default: this process's platform). */
export interface Pkcs11UriOptions {
  platform?: NodeJS.Platform;
}

export type Pkcs11ObjectType = 'private' | 'public' | 'cert' | 'secret-key' | 'data';

export interface Pkcs11Uri {
  readonly token?: string;
  readonly slotId?: bigint;
  readonly object?: string;
  readonly id?: Uint8Array;
  readonly type?: Pkcs11ObjectType;
  readonly modulePath?: string;
  /** The module's init string, given to C_Initialize as pReserved (`module-init-args=`, as p11-kit's x-init-reserved). */
  readonly moduleInitArgs?: string;
  /** The PIN given inline (not enumerable: JSON.stringify and util.inspect never show it). */
  readonly pinValue?: string;
  /** A path read for the PIN (`pin-source=file:/path`). */
  readonly pinSource?: string;
  /** The URI without pin-value. */
  toString(): string;
}

const OBJECT_TYPES = new Set<Pkcs11ObjectType>(['private', 'public', 'cert', 'secret-key', 'data']);

/** RFC 7512 attribute names (and cosign's); only these are ever named in a message. */
const KNOWN_ATTRIBUTES = new Set([
  'token', 'object', 'id', 'slot-id', 'type', 'module-path', 'module-name', 'module-init-args', 'pin-value', 'pin-source',
  'manufacturer', 'model', 'serial', 'library-manufacturer', 'library-description', 'library-version',
  'slot-description', 'slot-manufacturer',
]);

const PIN_ENCODING_HINT = 'a ";" or "&" inside a PIN must be percent-encoded as %3B or %26';

function bad(why: string): never {
  throw airsignError('PKCS11_URI_INVALID', `invalid PKCS#11 URI: ${why}`);
}

/** True when the URI text carries the PIN inline (`pin-value=`). */
function hasInlinePin(uri: string): boolean {
  return /(^|[:;&?])\s*pin-value\s*=/i.test(uri);
}

/** Percent-decodes to bytes (RFC 3986); other characters are taken as UTF-8. */
function percentDecodeBytes(value: string, name: string): Uint8Array {
  const out: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch === '%') {
      const hex = value.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) bad(`bad percent-encoding in ${name}${name === 'pin-value' ? ' (a "%" in a PIN is written %25)' : ''}`);
      out.push(parseInt(hex, 16));
      i += 2;
    } else {
      out.push(...encoder.encode(ch));
    }
  }
  return new Uint8Array(out);
}

function percentDecode(value: string, name: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(percentDecodeBytes(value, name));
  } catch (error) {
    if (error instanceof TypeError) bad(`${name} is not UTF-8`);
    throw error;
  }
}

/** Parses a `pkcs11:` URI; throws PKCS11_URI_INVALID (exit 2) on malformed input. */
export function parsePkcs11Uri(uri: string, options: Pkcs11UriOptions = {}): Pkcs11Uri {
  const platform = options.platform ?? process.platform;
  if (!/^pkcs11:/i.test(uri)) bad('it must start with "pkcs11:"');
  const rest = uri.slice('pkcs11:'.length);
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? '' : rest.slice(q + 1);
  const fields: {
    token?: string; slotId?: bigint; object?: string; id?: Uint8Array; type?: Pkcs11ObjectType;
    modulePath?: string; moduleInitArgs?: string; pinSource?: string;
  } = {};
  let pinValue: string | undefined;
  const seen = new Set<string>();
  const attrs = [
    ...path.split(/[;&]/).map((a) => ({ a, inQuery: false })),
    ...query.split('&').map((a) => ({ a, inQuery: true })),
  ].filter(({ a }) => a !== '');
  const hint = hasInlinePin(uri) ? ` (${PIN_ENCODING_HINT})` : '';
  for (const [index, { a }] of attrs.entries()) {
    const eq = a.indexOf('=');
    // Never quote the part: it may be the tail of a PIN split at an unencoded ";" or "&".
    if (eq <= 0) bad(`part ${index + 1} has no "=" (every attribute is name=value)${hint}`);
    const name = a.slice(0, eq).toLowerCase();
    const raw = a.slice(eq + 1);
    if (seen.has(name)) bad(`${KNOWN_ATTRIBUTES.has(name) ? `attribute ${name}` : `an attribute (part ${index + 1})`} is repeated${hint}`);
    seen.add(name);
    switch (name) {
      case 'token':
        fields.token = percentDecode(raw, name);
        break;
      case 'object':
        fields.object = percentDecode(raw, name);
        break;
      case 'id':
        fields.id = percentDecodeBytes(raw, name);
        break;
      case 'slot-id': {
        const text = percentDecode(raw, name);
        if (!/^[0-9]+$/.test(text)) bad(`slot-id must be a decimal number${hint}`);
        fields.slotId = BigInt(text);
        break;
      }
      case 'type': {
        const text = percentDecode(raw, name);
        if (!OBJECT_TYPES.has(text as Pkcs11ObjectType)) bad(`type must be one of ${[...OBJECT_TYPES].join(', ')}${hint}`);
        fields.type = text as Pkcs11ObjectType;
        break;
      }
      case 'module-path':
        fields.modulePath = percentDecode(raw, name);
        break;
      case 'module-init-args':
        fields.moduleInitArgs = percentDecode(raw, name);
        break;
      case 'pin-value':
        pinValue = percentDecode(raw, name);
        break;
      case 'pin-source':
        fields.pinSource = pinSourcePath(raw, platform, hint);
        break;
      default:
        break; // other RFC 7512 attributes (manufacturer, model, serial, library-*) are ignored, as cosign
    }
  }
  return makeUri(fields, pinValue, platform);
}

/**
 * The path a `pin-source` value names. An absolute `file:` URL (`file:/run/pin`, `file:///run/pin`,
 * `file:///C:/pins/rel.pin`, `file://server/share/pin`) goes through fileURLToPath with the rules of
 * `platform`, so on Windows a drive letter or UNC host is kept (not `/C:/…` on the current drive).
 * The value's percent-encoding is decoded once, by fileURLToPath; `?` and `#` are part of the path
 * here (the URI's own query already ended at `&`). Anything else after `file:` is a relative path.
 */
function pinSourcePath(raw: string, platform: NodeJS.Platform, hint: string): string {
  if (!/^file:./i.test(raw)) bad(`pin-source must be a file: URI (pin-source=file:/path/to/pin)${hint}`);
  const rest = raw.slice('file:'.length);
  if (!/^[/\\]/.test(rest) && !/^[A-Za-z]:[/\\]/.test(rest)) return percentDecode(rest, 'pin-source');
  let url: URL;
  try {
    url = new URL(`file:${rest.replace(/[?#]/g, (c) => (c === '?' ? '%3F' : '%23'))}`);
  } catch {
    bad(`pin-source is not a valid file: URI${hint}`);
  }
  try {
    return fileURLToPath(url, { windows: platform === 'win32' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_INVALID_FILE_URL_HOST') bad('pin-source names a host: only local files can hold the PIN (file:///path/to/pin)');
    if (code === 'ERR_INVALID_FILE_URL_PATH' && platform === 'win32' && !/%(2f|5c)/i.test(url.pathname)) {
      bad('pin-source must name a drive or a UNC share on Windows (pin-source=file:///C:/path/to/pin)');
    }
    if (code === 'ERR_INVALID_FILE_URL_PATH') bad('pin-source holds an encoded "/" or "\\" (%2F, %5C)');
    bad(`bad percent-encoding in pin-source${hint}`);
  }
}

/** `pin-source` text for a path: a file: URL for an absolute path (as the platform reads it), else `file:<relative path>`. */
function formatPinSource(path: string, platform: NodeJS.Platform): string {
  const windows = platform === 'win32';
  const absolute = windows ? /^([A-Za-z]:[/\\]|[/\\]{2}[^/\\])/.test(path) : path.startsWith('/');
  if (!absolute) return `file:${encodeValue(path, QUERY_CHARS)}`;
  // The URL is percent-encoded already; only what would end the attribute (; & =) is encoded on top.
  return encodeValue(pathToFileURL(path, { windows }).href, URL_CHARS);
}

function makeUri(fields: Omit<Pkcs11Uri, 'pinValue' | 'toString'>, pinValue: string | undefined, platform: NodeJS.Platform): Pkcs11Uri {
  const uri = { ...fields } as Pkcs11Uri;
  Object.defineProperty(uri, 'toString', { value: () => formatPkcs11Uri(uri, { platform }), enumerable: false });
  if (pinValue !== undefined) Object.defineProperty(uri, 'pinValue', { value: pinValue, enumerable: false });
  return uri;
}

/** Builds a URI object from parts (no PIN). */
export function pkcs11Uri(fields: Omit<Pkcs11Uri, 'pinValue' | 'toString'>, options: Pkcs11UriOptions = {}): Pkcs11Uri {
  return makeUri(fields, undefined, options.platform ?? process.platform);
}

function encodeValue(value: string, keep: RegExp): string {
  let out = '';
  for (const byte of new TextEncoder().encode(value)) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && keep.test(ch) ? ch : `%${byte.toString(16).padStart(2, '0').toUpperCase()}`;
  }
  return out;
}

const PATH_CHARS = /^[A-Za-z0-9\-._~:[\]@!$'()*+,]$/;
const QUERY_CHARS = /^[A-Za-z0-9\-._~:[\]@!$'()*+,/?|]$/;
const URL_CHARS = /^[A-Za-z0-9\-._~:[\]@!$'()*+,/?|%]$/;

/** Formats a URI; pin-value is never written (pin-source is: it is a path, not a secret). */
export function formatPkcs11Uri(uri: Omit<Pkcs11Uri, 'toString'>, options: Pkcs11UriOptions = {}): string {
  const path: string[] = [];
  if (uri.token !== undefined) path.push(`token=${encodeValue(uri.token, PATH_CHARS)}`);
  if (uri.slotId !== undefined) path.push(`slot-id=${uri.slotId.toString()}`);
  if (uri.id !== undefined) path.push(`id=${Array.from(uri.id, (b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`);
  if (uri.object !== undefined) path.push(`object=${encodeValue(uri.object, PATH_CHARS)}`);
  if (uri.type !== undefined) path.push(`type=${uri.type}`);
  const query: string[] = [];
  if (uri.modulePath !== undefined) query.push(`module-path=${encodeValue(uri.modulePath, QUERY_CHARS)}`);
  if (uri.moduleInitArgs !== undefined) query.push(`module-init-args=${encodeValue(uri.moduleInitArgs, QUERY_CHARS)}`);
  if (uri.pinSource !== undefined) query.push(`pin-source=${formatPinSource(uri.pinSource, options.platform ?? process.platform)}`);
  return `pkcs11:${path.join(';')}${query.length > 0 ? `?${query.join('&')}` : ''}`;
}
