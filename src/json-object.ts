/**
 * Reading a document that must be one JSON object (policies, trust policies, bundles, envelopes):
 * strict UTF-8 (a bad byte is refused, not replaced), then JSON.parse, then "is it an object". The
 * caller's `bad` (which throws that document's own error) is given the problem in words.
 */

/** A JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Any JSON value in strict UTF-8 `bytes`, objects in Go's order ({@link parseJsonGoOrder}); `bad` gets "not JSON (<the parser's words>)". */
export function parseJson(bytes: Uint8Array, bad: (problem: string) => never): unknown {
  try {
    return parseJsonGoOrder(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    return bad(`not JSON (${(e as Error).message})`);
  }
}

/**
 * JSON.parse, except that a key written more than once in one object takes the place of its last
 * occurrence (JSON.parse keeps the last value at the first place). Go's encoding/json assigns members
 * in document order, matching field names case-insensitively, so with `version`, `Version`, `version`
 * the last `version` wins there; reading by key order after this parse reaches the same value.
 * Throws JSON.parse's own SyntaxError for text that is not JSON.
 */
export function parseJsonGoOrder(text: string): unknown {
  const value = JSON.parse(text) as unknown;
  return duplicateJsonKey(text) === undefined ? value : new GoOrderReader(text).document();
}

/** A reader for text already known to be valid JSON: strings and numbers go through JSON.parse. */
class GoOrderReader {
  private at = 0;
  constructor(private readonly text: string) {}

  document(): unknown {
    return this.value();
  }

  private value(): unknown {
    this.skipSpace();
    const c = this.text[this.at];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    const token = /-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?|true|false|null/y;
    token.lastIndex = this.at;
    const match = token.exec(this.text)!;
    this.at += match[0].length;
    return JSON.parse(match[0]) as unknown;
  }

  private object(): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    this.at++; // {
    this.skipSpace();
    if (this.text[this.at] === '}') return this.close(object);
    for (;;) {
      this.skipSpace();
      const key = this.string();
      this.skipSpace();
      this.at++; // :
      const member = this.value();
      delete object[key]; // a repeated key moves to its last place
      Object.defineProperty(object, key, { value: member, writable: true, enumerable: true, configurable: true });
      this.skipSpace();
      if (this.text[this.at++] === '}') return object;
    }
  }

  private array(): unknown[] {
    const array: unknown[] = [];
    this.at++; // [
    this.skipSpace();
    if (this.text[this.at] === ']') return this.close(array);
    for (;;) {
      array.push(this.value());
      this.skipSpace();
      if (this.text[this.at++] === ']') return array;
    }
  }

  private string(): string {
    let end = this.at + 1;
    while (this.text[end] !== '"') end += this.text[end] === '\\' ? 2 : 1;
    const text = this.text.slice(this.at, end + 1);
    this.at = end + 1;
    return JSON.parse(text) as string;
  }

  private close<T>(value: T): T {
    this.at++;
    return value;
  }

  private skipSpace(): void {
    while (this.text[this.at] === ' ' || this.text[this.at] === '\t' || this.text[this.at] === '\n' || this.text[this.at] === '\r') this.at++;
  }
}

/** The JSON object in strict UTF-8 `bytes`; `bad` gets "not JSON (…)" or "not a JSON object". */
export function parseJsonObject(bytes: Uint8Array, bad: (problem: string) => never): Record<string, unknown> {
  const doc = parseJson(bytes, bad);
  return isJsonObject(doc) ? doc : bad('not a JSON object');
}

/** The first key that appears twice in one object of `text` (already known to be valid JSON): Go's paranoid readers refuse it, JSON.parse keeps the last. */
export function duplicateJsonKey(text: string): string | undefined {
  const stack: Array<{ keys: Set<string>; expectKey: boolean } | undefined> = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '{') stack.push({ keys: new Set(), expectKey: true });
    else if (c === '[') stack.push(undefined);
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top) top.expectKey = true;
    } else if (c === ':') {
      const top = stack[stack.length - 1];
      if (top) top.expectKey = false;
    } else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) return key;
        top.keys.add(key);
      }
      i = j;
    }
  }
  return undefined;
}
