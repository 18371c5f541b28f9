/**
 * Parsing of the sign options that are more than a string: `--annotation k=v` and `--expiry`
 * (a duration such as 30d, 12h, 1h30m, or an RFC 3339 time). Throws input errors (exit 2).
 */
import { airsignError } from '../errors.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** `k=v` pairs into a map; the key must be non-empty, the first `=` splits, a repeated key is an error. */
export function parseAnnotations(values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    if (eq <= 0) {
      throw airsignError('SIGN_BAD_ANNOTATION', `options.annotations must be key=value, got ${JSON.stringify(value)}`, { details: { option: 'annotations', value } });
    }
    const key = value.slice(0, eq);
    if (Object.prototype.hasOwnProperty.call(out, key)) {
      throw airsignError('SIGN_BAD_ANNOTATION', `options.annotations ${JSON.stringify(key)} is given twice`, { details: { option: 'annotations', value: key } });
    }
    out[key] = value.slice(eq + 1);
  }
  return out;
}

/**
 * `--expiry`: a duration after `signingTime` (`30d`, `12h`, `1h30m`, `2w`, `90s`) or an absolute
 * RFC 3339 time. Returns whole seconds; must be later than `signingTime`.
 */
export function parseExpiry(value: string, signingTime: Date): Date {
  const text = value.trim();
  let expiry: Date;
  if (/^(\d+[smhdw])+$/.test(text)) {
    let seconds = 0;
    for (const [, amount, unit] of text.matchAll(/(\d+)([smhdw])/g)) seconds += Number(amount) * UNIT_SECONDS[unit!]!;
    if (!Number.isSafeInteger(seconds) || seconds > 100 * 365 * 86400) {
      throw airsignError('SIGN_BAD_EXPIRY', `options.expiry ${JSON.stringify(value)} is too far away`, { details: { option: 'expiry', value } });
    }
    expiry = new Date(Math.floor(signingTime.getTime() / 1000) * 1000 + seconds * 1000);
  } else if (/^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw airsignError('SIGN_BAD_EXPIRY', `options.expiry ${JSON.stringify(value)} is not a valid time`, { details: { option: 'expiry', value } });
    expiry = new Date(Math.floor(ms / 1000) * 1000);
  } else {
    throw airsignError('SIGN_BAD_EXPIRY', `options.expiry must be a duration like 30d, 12h, 1h30m or an RFC 3339 time, got ${JSON.stringify(value)}`, { details: { option: 'expiry', value } });
  }
  if (expiry.getTime() <= Math.floor(signingTime.getTime() / 1000) * 1000) {
    throw airsignError('SIGN_BAD_EXPIRY', `options.expiry ${JSON.stringify(value)} is not after the signing time`, { details: { option: 'expiry', value } });
  }
  return expiry;
}

/** `--notation-manifest` values. */
export function parseNotationManifest(value: string | undefined): 'legacy' | 'oci-1.1' {
  if (value === undefined || value === 'legacy') return 'legacy';
  if (value === 'oci-1.1') return 'oci-1.1';
  throw airsignError('SIGN_BAD_OPTION', `options.notationManifest must be legacy or oci-1.1, got ${JSON.stringify(value)}`, { details: { option: 'notationManifest', value } });
}
