/**
 * Reading a manifest or index that is about to be signed: bounded (the metadata limit), digest and
 * size verified (Layout.readBlob), parsed the way Go's encoding/json reads it (oras, skopeo, cosign,
 * notation) or refused — not JSON, a byte-order mark, nesting past the limit, a field name in
 * another case (layout-json.ts), and here also any object holding two keys that are equal or equal
 * but for case: Go merges repeated objects and matches field names case-insensitively, JSON.parse
 * keeps the last spelling, so such a document is two different manifests, refused as the tar
 * reader refuses an ambiguous tar. Values Go types differently are refused too: a lone surrogate
 * escape (U+FFFD to Go), a `size` or `schemaVersion` written 1e3 or 2.0 (an error to Go) or -0, a
 * descriptor field of another type (`data` not base64, `platform` not an object…), so whatever is
 * accepted Go reads exactly as we do (test/integration/sign/manifest-json.test.ts checks this against Go
 * itself). Then the content must be the kind its descriptor says: a
 * `mediaType` field that contradicts the descriptor, or a manifest shaped as an index (or the
 * other way), is refused.
 */
import { assertDescriptor, type Descriptor, type PlainDescriptor } from '../descriptor.js';
import { airsignError } from '../errors.js';
import { isJsonObject } from '../json-object.js';
import { isIndexMediaType, isManifestMediaType, MediaType } from '../media-types.js';
import { parseLayoutJson } from './layout-json.js';

/** A manifest or index as signed: its raw bytes (never re-serialized) and the checked content. */
export interface CheckedManifest {
  kind: 'index' | 'manifest';
  bytes: Uint8Array;
  /** An index's entries (each a checked descriptor). */
  manifests?: Descriptor[];
  /** A manifest's config, layers and subject (checked descriptors). */
  config?: Descriptor;
  layers?: Descriptor[];
  subject?: Descriptor;
  /** The content's own artifactType, when it has one. */
  artifactType?: string;
}

/** What the reader needs of a layout: a bounded, verified read of a small blob. */
export interface ManifestSource {
  readBlob(desc: PlainDescriptor): Promise<Uint8Array>;
}

/** Reads `descriptor` from the layout and checks it (see the module comment); throws input errors. */
export async function readCheckedManifest(source: ManifestSource, descriptor: PlainDescriptor, what: string): Promise<CheckedManifest> {
  return checkManifestBytes(await source.readBlob(descriptor), descriptor.mediaType, what);
}

/** Checks manifest or index bytes against the media type of the descriptor that names them. */
export function checkManifestBytes(bytes: Uint8Array, mediaType: string, what: string): CheckedManifest {
  const kind = isIndexMediaType(mediaType) ? 'index' : isManifestMediaType(mediaType) ? 'manifest' : undefined;
  if (kind === undefined) throw airsignError('LAYOUT_NOT_AN_IMAGE', `${what} has media type ${JSON.stringify(mediaType)}, not an image manifest or index`);
  const value = parseLayoutJson(bytes, what);
  assertUnambiguousKeys(new TextDecoder().decode(bytes), what);
  if (!isJsonObject(value)) throw bad(what, 'is not a JSON object');
  if (value.schemaVersion !== 2) throw bad(what, `has schemaVersion ${JSON.stringify(value.schemaVersion)}, expected 2`);
  if (value.mediaType !== undefined && value.mediaType !== mediaType) {
    throw bad(what, `says its mediaType is ${JSON.stringify(value.mediaType)}, but the descriptor naming it says ${mediaType}`);
  }
  // Docker's formats carry their media type; without it Go tools read the content as OCI.
  if (value.mediaType === undefined && (mediaType === MediaType.DockerManifest || mediaType === MediaType.DockerManifestList)) {
    throw bad(what, `has no mediaType field, which a ${mediaType} must have`);
  }
  if (value.artifactType !== undefined && typeof value.artifactType !== 'string') throw bad(what, 'has an artifactType that is not a string');
  assertStringMap(value.annotations, `${what} annotations`);
  const out: CheckedManifest = { kind, bytes, ...(typeof value.artifactType === 'string' ? { artifactType: value.artifactType } : {}) };
  if (value.subject !== undefined) {
    assertGoDescriptor(value.subject, `${what} subject`);
    out.subject = value.subject;
  }
  if (kind === 'index') {
    if (value.config !== undefined || value.layers !== undefined) throw bad(what, 'has config or layers: it is shaped as a manifest, not an index');
    out.manifests = descriptorList(value.manifests, what, 'manifests');
  } else {
    if (value.manifests !== undefined) throw bad(what, 'has manifests: it is shaped as an index, not a manifest');
    assertGoDescriptor(value.config, `${what} config`);
    out.config = value.config;
    out.layers = descriptorList(value.layers ?? [], what, 'layers');
  }
  return out;
}

function descriptorList(raw: unknown, what: string, field: string): Descriptor[] {
  if (!Array.isArray(raw)) throw bad(what, `has no "${field}" array`);
  raw.forEach((d, i) => assertGoDescriptor(d, `${what} ${field}[${i}]`));
  return raw as Descriptor[];
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A descriptor as Go decodes it into the image-spec type, or refused: besides the shape
 * (assertDescriptor), every field Go types must have that type — `urls` strings, `data` base64 (Go
 * reads it as []byte), `platform` an object of strings and string lists, `artifactType` a string —
 * or Go refuses the document that JSON.parse accepted.
 */
function assertGoDescriptor(value: unknown, where: string): asserts value is Descriptor {
  assertDescriptor(value, where);
  const d = value as unknown as Record<string, unknown>;
  const fail = (problem: string) => airsignError('LAYOUT_BAD_DESCRIPTOR', `${where} ${problem}`);
  if (d.urls !== undefined && d.urls !== null && !isStringList(d.urls)) throw fail('has urls that are not a list of strings');
  if (d.data !== undefined && d.data !== null && (typeof d.data !== 'string' || !BASE64.test(d.data))) throw fail('has data that is not base64');
  if (d.artifactType !== undefined && typeof d.artifactType !== 'string') throw fail('has an artifactType that is not a string');
  const p = d.platform;
  if (p !== undefined && p !== null) {
    if (!isJsonObject(p)) throw fail('has a platform that is not an object');
    for (const key of ['architecture', 'os', 'os.version', 'variant']) {
      if (p[key] !== undefined && p[key] !== null && typeof p[key] !== 'string') throw fail(`has a platform ${key} that is not a string`);
    }
    for (const key of ['os.features', 'features']) {
      if (p[key] !== undefined && p[key] !== null && !isStringList(p[key])) throw fail(`has platform ${key} that are not a list of strings`);
    }
  }
}

function isStringList(value: unknown): boolean {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function assertStringMap(value: unknown, where: string): void {
  if (value === undefined || value === null) return;
  if (!isJsonObject(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw airsignError('LAYOUT_BAD_MANIFEST', `${where} are not a map of strings`);
  }
}

function bad(what: string, problem: string) {
  return airsignError('LAYOUT_BAD_MANIFEST', `${what} ${problem}`);
}

/** Go's case folding for field names: ASCII, plus the Kelvin sign and the long s (which fold into ASCII). */
function goFold(name: string): string {
  return name.replace(/[A-Z\u212a\u017f]/g, (c) => (c === '\u212a' ? 'k' : c === '\u017f' ? 's' : c.toLowerCase()));
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

interface ObjectFrame {
  array: false;
  keys: Set<string>;
  folded: Map<string, string>;
  /** An `annotations` map: Go matches its keys exactly, so only exact repeats are ambiguous. */
  isMap: boolean;
  expectKey: boolean;
  lastKey?: string;
}

/**
 * Refuses an object with a repeated key, or (outside annotation maps) two keys equal but for case.
 * `text` is JSON that JSON.parse accepted, so a plain scan over its tokens is enough.
 */
function assertUnambiguousKeys(text: string, what: string): void {
  const stack: Array<ObjectFrame | { array: true }> = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      const string = JSON.parse(text.slice(i, end + 1)) as string;
      // Go reads a lone UTF-16 surrogate escape as U+FFFD, JavaScript keeps it: two different strings.
      if (LONE_SURROGATE.test(string)) throw bad(what, `has a string with a lone surrogate escape (${JSON.stringify(string)}); refusing an ambiguous document`);
      if (top !== undefined && !top.array && top.expectKey) {
        const key = string;
        if (top.keys.has(key)) throw bad(what, `repeats the key ${JSON.stringify(key)} in one object; refusing an ambiguous document`);
        top.keys.add(key);
        const fold = goFold(key);
        const other = top.folded.get(fold);
        if (!top.isMap && other !== undefined) {
          throw bad(what, `has keys ${JSON.stringify(other)} and ${JSON.stringify(key)}, one field to Go's JSON decoder; refusing an ambiguous document`);
        }
        top.folded.set(fold, key);
        top.lastKey = key;
        top.expectKey = false;
      }
      i = end;
    } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      let end = i;
      while (end < text.length && /[-+.eE0-9]/.test(text[end]!)) end++;
      const top = stack[stack.length - 1];
      // Go reads `size` and `schemaVersion` into integers: 1e3 or 2.0 is an error to Go, a number to JSON.parse; -0 is 0 to Go.
      if (top !== undefined && !top.array && (top.lastKey === 'size' || top.lastKey === 'schemaVersion') && !/^(?:0|-?[1-9][0-9]*)$/.test(text.slice(i, end))) {
        throw bad(what, `has ${top.lastKey} ${text.slice(i, end)}, not a plain integer (Go refuses 1e3 or 2.0 there and reads -0 as 0)`);
      }
      i = end - 1;
    } else if (c === '{') {
      const parent = stack[stack.length - 1];
      stack.push({ array: false, keys: new Set(), folded: new Map(), isMap: parent !== undefined && !parent.array && parent.lastKey === 'annotations', expectKey: true });
    } else if (c === '[') stack.push({ array: true });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top !== undefined && !top.array) top.expectKey = true;
    }
  }
}
