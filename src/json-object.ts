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
