/** The image index in index.json (OCI or Docker list media type, or none as umoci writes). */
import { assertDescriptor, type Descriptor } from '../descriptor.js';
import { airsignError } from '../errors.js';
import { MediaType } from '../media-types.js';
import { parseLayoutJson } from './layout-json.js';
import { isJsonObject } from '../json-object.js';

export interface ImageIndex {
  schemaVersion: number;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
  subject?: Descriptor;
  [key: string]: unknown;
}

const ACCEPTED = new Set<string>([MediaType.OciIndex, MediaType.DockerManifestList]);

/** Parses and validates index.json bytes (LAYOUT_BAD_JSON / LAYOUT_BAD_INDEX / LAYOUT_BAD_DESCRIPTOR). */
export function parseImageIndex(bytes: Uint8Array, what = 'index.json'): ImageIndex {
  const value = parseLayoutJson(bytes, what);
  if (!isJsonObject(value)) throw airsignError('LAYOUT_BAD_INDEX', `${what} is not a JSON object`);
  if (value.schemaVersion !== 2) throw airsignError('LAYOUT_BAD_INDEX', `${what} has schemaVersion ${JSON.stringify(value.schemaVersion)}, expected 2`);
  if (value.mediaType !== undefined && (typeof value.mediaType !== 'string' || !ACCEPTED.has(value.mediaType))) {
    throw airsignError('LAYOUT_BAD_INDEX', `${what} has mediaType ${JSON.stringify(value.mediaType)}, not an image index`);
  }
  if (!Array.isArray(value.manifests)) throw airsignError('LAYOUT_BAD_INDEX', `${what} has no "manifests" array`);
  value.manifests.forEach((d, i) => assertDescriptor(d, `${what} manifests[${i}]`));
  return value as unknown as ImageIndex;
}
