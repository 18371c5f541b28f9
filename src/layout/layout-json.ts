/**
 * Parses JSON we did not write (index.json, manifests) with limits: a size cap and a nesting-depth
 * cap checked before JSON.parse, so hostile input cannot exhaust memory or the stack.
 */
import { airsignError } from '../errors.js';

export const MAX_JSON_DEPTH = 64;
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
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw airsignError('LAYOUT_BAD_JSON', `${what} is not valid UTF-8 JSON`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw airsignError('LAYOUT_BAD_JSON', `${what} is not valid JSON (${(error as Error).message})`);
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
