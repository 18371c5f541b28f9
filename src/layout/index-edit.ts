/**
 * Edits index.json, the one file we rewrite (as oras and notation do); manifests are never
 * re-serialized. Existing fields and entries are kept as parsed; new entries are appended.
 */
import type { Descriptor } from '../descriptor.js';
import { Annotation } from '../media-types.js';
import { parseImageIndex } from './image-index.js';

export interface AddIndexEntriesOptions {
  /** Drop existing entries whose ref.name equals a new entry's ref.name (cosign `.sig` re-tag). */
  replaceTags?: boolean;
  /** Annotations to set on existing entries with a given digest (cosign's `kind`). */
  setAnnotations?: ReadonlyArray<{ digest: string; annotations: Record<string, string> }>;
}

/** Returns new compact index.json bytes with `entries` appended (exact duplicates are not added twice). */
export function addIndexEntries(indexBytes: Uint8Array, entries: Descriptor[], options: AddIndexEntriesOptions = {}): Uint8Array {
  const index = parseImageIndex(indexBytes);
  let manifests = [...index.manifests];
  if (options.replaceTags) {
    const tags = new Set(entries.map((e) => e.annotations?.[Annotation.RefName]).filter((t): t is string => t !== undefined));
    manifests = manifests.filter((m) => {
      const tag = m.annotations?.[Annotation.RefName];
      return tag === undefined || !tags.has(tag);
    });
  }
  for (const edit of options.setAnnotations ?? []) {
    manifests = manifests.map((m) => (m.digest === edit.digest ? { ...m, annotations: { ...(m.annotations ?? {}), ...edit.annotations } } : m));
  }
  for (const entry of entries) {
    const text = JSON.stringify(entry);
    if (!manifests.some((m) => JSON.stringify(m) === text)) manifests.push(entry);
  }
  return new TextEncoder().encode(JSON.stringify({ ...index, manifests }));
}
