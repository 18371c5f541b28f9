/** OCI content descriptors: the only way this tool addresses content. */
import { digestOf, parseDigest } from './digest.js';
import { airsignError } from './errors.js';

export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  data?: string;
  platform?: Platform;
  artifactType?: string;
}

/** The three fields that identify content (what oras-go's `content.Equal` compares). */
export interface PlainDescriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export function plainDescriptor(d: PlainDescriptor): PlainDescriptor {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

export function descriptorFromBytes(mediaType: string, bytes: Uint8Array): PlainDescriptor {
  return { mediaType, digest: digestOf(bytes), size: bytes.length };
}

/**
 * Validates the shape of a descriptor found in JSON we did not write. Throws LAYOUT_BAD_DESCRIPTOR
 * naming `where` (e.g. "index.json manifests[2]").
 */
export function assertDescriptor(value: unknown, where: string): asserts value is Descriptor {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw airsignError('LAYOUT_BAD_DESCRIPTOR', `${where} is not a descriptor object`);
  }
  const d = value as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || d.mediaType === '') {
    throw airsignError('LAYOUT_BAD_DESCRIPTOR', `${where} has no mediaType`);
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw airsignError('LAYOUT_BAD_DESCRIPTOR', `${where} has an invalid size`);
  }
  try {
    parseDigest(d.digest);
  } catch (e) {
    throw airsignError('LAYOUT_BAD_DESCRIPTOR', `${where}: ${(e as Error).message}`, { cause: e });
  }
  if (d.annotations !== undefined) {
    if (typeof d.annotations !== 'object' || d.annotations === null || Array.isArray(d.annotations)
      || Object.values(d.annotations).some((v) => typeof v !== 'string')) {
      throw airsignError('LAYOUT_BAD_DESCRIPTOR', `${where} has annotations that are not a string map`);
    }
  }
}
