/**
 * Reading a document that must be one JSON object (policies, trust policies, bundles, envelopes):
 * strict UTF-8 (a bad byte is refused, not replaced), then JSON.parse, then "is it an object". The
 * caller's `bad` (which throws that document's own error) is given the problem in words.
 */

/** A JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Any JSON value in strict UTF-8 `bytes`; `bad` gets "not JSON (<the parser's words>)". */
export function parseJson(bytes: Uint8Array, bad: (problem: string) => never): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch (e) {
    return bad(`not JSON (${(e as Error).message})`);
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
