/**
 * An explicit list of signature formats, looked up by `--format` id. Built from a list passed in
 * (no import side effects): a format is added by adding it to the list (default-formats.ts).
 */
import { airsignError } from '../errors.js';
import type { SignatureFormat } from './signature-format.js';
import type { FormatVerification } from './signature-verification.js';

export interface FormatRegistry {
  /** Ids in registration order. */
  ids(): string[];
  has(id: string): boolean;
  /** Throws SIGN_UNKNOWN_FORMAT (input) naming the known ids. */
  get(id: string): SignatureFormat;
  /** How verify finds and checks each format's signatures, in registration order (formats without one are left out). */
  verifications(): FormatVerification[];
  /** Resolves `--format` values: at least one, known, duplicates dropped (first order kept). */
  select(ids: readonly string[]): SignatureFormat[];
}

/** A registry of `formats` looked up by id; throws FORMAT_DUPLICATE when two share an id. */
export function createFormatRegistry(formats: readonly SignatureFormat[]): FormatRegistry {
  const byId = new Map<string, SignatureFormat>();
  for (const format of formats) {
    if (byId.has(format.id)) throw airsignError('FORMAT_DUPLICATE', `signature format "${format.id}" is registered twice`);
    byId.set(format.id, format);
  }
  const known = () => [...byId.keys()].join(', ');
  const registry: FormatRegistry = {
    ids: () => [...byId.keys()],
    verifications: () => [...byId.values()].flatMap((f) => (f.verification === undefined ? [] : [f.verification])),
    has: (id) => byId.has(id),
    get(id) {
      const format = byId.get(id);
      if (format === undefined) {
        throw airsignError('SIGN_UNKNOWN_FORMAT', `unknown signature format ${JSON.stringify(id)} (known: ${known()})`, {
          details: { option: 'formats', format: id, known: [...byId.keys()] },
        });
      }
      return format;
    },
    select(ids) {
      if (ids.length === 0) {
        throw airsignError('SIGN_NO_FORMAT', `name at least one format in options.formats (known: ${known()})`, { details: { option: 'formats', known: [...byId.keys()] } });
      }
      const chosen: SignatureFormat[] = [];
      for (const id of ids) {
        const format = registry.get(id);
        if (!chosen.includes(format)) chosen.push(format);
      }
      return chosen;
    },
  };
  return registry;
}
