/**
 * Parses JSON we did not write (index.json, manifests) with limits: a size cap and a nesting-depth
 * cap checked before JSON.parse, so hostile input cannot exhaust memory or the stack. It also
 * refuses what Go's encoding/json (oras, skopeo, notation) would read differently: a byte-order
 * mark, and a field name spelled in another case (`"Manifests"`, `"ſize"` with a long s), which Go
 * matches case-insensitively — `{"manifests":[A],"MANIFESTS":[B]}` is B to Go and A to JSON.parse.
 */
import { airsignError } from '../errors.js';
import { isJsonObject } from '../json-object.js';

const MAX_JSON_DEPTH = 64;
export const DEFAULT_MAX_JSON_BYTES = 4 * 1024 * 1024;

const decoder = new TextDecoder('utf-8', { fatal: true });

export function parseLayoutJson(bytes: Uint8Array, what: string, maxBytes = DEFAULT_MAX_JSON_BYTES): unknown {
  if (bytes.length > maxBytes) {
    throw airsignError('LAYOUT_JSON_TOO_LARGE', `${what} is ${bytes.length} bytes, more than the ${maxBytes}-byte limit`);
  }
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === 0x5c) i++;
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x7b || b === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) throw airsignError('LAYOUT_JSON_TOO_DEEP', `${what} nests more than ${MAX_JSON_DEPTH} levels deep`);
    } else if (b === 0x7d || b === 0x5d) depth--;
  }
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw airsignError('LAYOUT_BAD_JSON', `${what} starts with a byte-order mark, which JSON does not allow`);
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw airsignError('LAYOUT_BAD_JSON', `${what} is not valid UTF-8 JSON`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    // V8 quotes the offending text, which may hold a newline: keep the error one line.
    const reason = escapeLineBreaks((error as Error).message);
    throw airsignError('LAYOUT_BAD_JSON', `${what} is not valid JSON (${reason})`);
  }
  assertCanonicalFieldNames(value, what);
  return value;
}

/** Control characters (and U+2028/9) as `\uXXXX`, so a message quoting input stays on one line. */
function escapeLineBreaks(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.codePointAt(0)!;
    out += code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029 ? `\\u${code.toString(16).padStart(4, '0')}` : c;
  }
  return out;
}

/** Field names of the OCI/Docker structures Go decodes layouts into (folded). */
const FIELDS = new Map(
  [
    'schemaVersion', 'mediaType', 'artifactType', 'manifests', 'layers', 'blobs', 'config', 'subject', 'annotations',
    'digest', 'size', 'urls', 'data', 'platform', 'architecture', 'os', 'os.version', 'os.features', 'variant', 'features',
    'imageLayoutVersion',
  ].map((name) => [goFold(name), name]),
);

/** Go's bytes.EqualFold key: ASCII case folded, and the two non-ASCII letters that fold into ASCII (K, ſ). */
function goFold(name: string): string {
  return name.replace(/[A-Z\u212a\u017f]/g, (c) => (c === '\u212a' ? 'k' : c === '\u017f' ? 's' : c.toLowerCase()));
}

function assertCanonicalFieldNames(root: unknown, what: string): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (const item of value as unknown[]) stack.push(item);
      continue;
    }
    if (!isJsonObject(value)) continue;
    for (const key of Object.keys(value)) {
      const canonical = FIELDS.get(goFold(key));
      if (canonical !== undefined && canonical !== key) {
        throw airsignError('LAYOUT_BAD_JSON', `${what} has a field ${JSON.stringify(key)}: Go's JSON decoder (oras, skopeo) reads it as ${JSON.stringify(canonical)}; refusing an ambiguous document`);
      }
      // Annotation keys are map keys, which Go matches exactly.
      if (key !== 'annotations') stack.push(value[key]);
    }
  }
}

