/**
 * JSON text as Go's encoding/json writes it, so bytes we produce match notation-go and oras-go:
 * compact, objects in the key order given (Go struct field order) or sorted (Go maps), and strings
 * escaped the Go way (`<`, `>`, `&`, U+2028 and U+2029 as \u escapes; control characters other than
 * \n, \r and \t as lower-case \u00xx).
 */

export type GoJsonValue =
  | string
  | number
  | boolean
  | null
  | GoMap
  | GoJsonValue[]
  | { [key: string]: GoJsonValue | undefined };

/** A Go map[string]string: always written with sorted keys, whatever the surrounding mode. */
export class GoMap {
  constructor(readonly entries: Readonly<Record<string, string>>) {}
}

/** Serializes keeping each object's own key order; `undefined` members are left out (omitempty). */
export function goJson(value: GoJsonValue): string {
  return write(value, false);
}

/** Serializes with every object's keys sorted bytewise (as Go does for maps). */
export function goJsonSorted(value: GoJsonValue): string {
  return write(value, true);
}

function write(value: GoJsonValue, sorted: boolean): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return goString(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError('JSON cannot hold a non-finite number');
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof GoMap) return write({ ...value.entries }, true);
  if (Array.isArray(value)) return `[${value.map((v) => write(v, sorted)).join(',')}]`;
  let keys = Object.keys(value).filter((k) => value[k] !== undefined);
  if (sorted) keys = keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `{${keys.map((k) => `${goString(k)}:${write(value[k]!, sorted)}`).join(',')}}`;
}

function goString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || ch === '<' || ch === '>' || ch === '&' || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      out += '\\ufffd'; // a lone surrogate: Go writes the replacement character
    } else out += ch;
  }
  return `${out}"`;
}

/**
 * The member of a JSON object that Go's encoding/json puts into the struct field tagged `name`:
 * keys match the tag exactly or case-insensitively (Unicode simple folding, so `ſ` matches `s` and
 * the Kelvin sign `k`), every matching key is assigned in document order, and so the last one
 * wins. (Read objects parsed with parseJsonGoOrder, where a key written twice sits at its last place.)
 */
export function goField(object: Readonly<Record<string, unknown>>, name: string): unknown {
  let found: unknown;
  for (const key of Object.keys(object)) {
    if (key === name || goFoldEqual(key, name)) found = object[key];
  }
  return found;
}

/** bytes.EqualFold for a Go struct tag `name` made of ASCII. */
function goFoldEqual(key: string, name: string): boolean {
  const k = Array.from(key);
  if (k.length !== name.length) return false;
  return k.every((c, i) => {
    const want = name[i]!.toLowerCase();
    if (c.toLowerCase() === want && c.charCodeAt(0) < 0x80) return true;
    return (c === '\u212a' && want === 'k') || (c === '\u017f' && want === 's');
  });
}
