/**
 * The OCI manifest that carries a Notation envelope as a referrer of the signed manifest, serialized
 * byte-for-byte the way notation (via oras-go) writes it: Go struct field order (schemaVersion,
 * mediaType, [artifactType], config, layers, subject, annotations), compact, annotations sorted.
 *
 * - `legacy` (default; what notation v1.3 writes and the only form it finds in a layout): config
 *   `application/vnd.cncf.notary.signature` over `{}`, no artifactType.
 * - `oci-1.1` (notation-go main, unreleased): artifactType `application/vnd.cncf.notary.signature`
 *   with the OCI empty config.
 */
import { createHash } from 'node:crypto';
import { descriptorFromBytes, type Descriptor, type PlainDescriptor } from '../../descriptor.js';
import { digestOf } from '../../digest.js';
import { airsignError } from '../../errors.js';
import { Annotation, EMPTY_JSON_BYTES, EMPTY_JSON_DIGEST, MediaType } from '../../media-types.js';
import { GoMap, goJson } from '../../go-json.js';
import { formatRfc3339 } from '../../rfc3339.js';

export type NotationManifestVariant = 'legacy' | 'oci-1.1';

export interface NotationSignatureManifestOptions {
  /** The exact plain descriptor of the signed manifest or index. */
  subject: PlainDescriptor;
  envelope: { mediaType: string; bytes: Uint8Array };
  /** The envelope's certificate chain, DER, leaf first (for the thumbprint annotation). */
  chain: Uint8Array[];
  /** org.opencontainers.image.created (notation uses the signing time). */
  created: Date;
  variant?: NotationManifestVariant;
}

export interface NotationSignatureManifest {
  manifestBytes: Uint8Array;
  /** The index.json entry: mediaType, digest, size, annotations (and artifactType for oci-1.1); no ref.name. */
  descriptor: Descriptor;
  /** The blobs the manifest references: the config `{}` and the envelope. */
  blobs: Uint8Array[];
}

/** The thumbprint annotation value: a JSON array string of lower-case SHA-256 hex per certificate. */
function notationThumbprints(chain: Uint8Array[]): string {
  return goJson(chain.map((der) => createHash('sha256').update(der).digest('hex')));
}

export function buildNotationSignatureManifest(options: NotationSignatureManifestOptions): NotationSignatureManifest {
  const variant = options.variant ?? 'legacy';
  if (variant !== 'legacy' && variant !== 'oci-1.1') {
    throw airsignError('NOTATION_BAD_MANIFEST_VARIANT', `unknown Notation manifest variant "${String(variant)}" (use legacy or oci-1.1)`);
  }
  if (options.chain.length === 0) throw airsignError('NOTATION_NO_CERTIFICATE', 'a Notation signature manifest needs the certificate chain');
  const annotations = {
    [Annotation.NotaryThumbprint]: notationThumbprints(options.chain),
    [Annotation.Created]: formatRfc3339(options.created),
  };
  const config = variant === 'legacy'
    ? { mediaType: MediaType.NotarySignature, digest: EMPTY_JSON_DIGEST, size: EMPTY_JSON_BYTES.length }
    : { mediaType: MediaType.OciEmpty, digest: EMPTY_JSON_DIGEST, size: EMPTY_JSON_BYTES.length, data: 'e30=' };
  const layer = descriptorFromBytes(options.envelope.mediaType, options.envelope.bytes);
  const { mediaType, digest, size } = options.subject;
  const text = goJson({
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    ...(variant === 'oci-1.1' ? { artifactType: MediaType.NotarySignature } : {}),
    config,
    layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
    subject: { mediaType, digest, size },
    annotations: new GoMap(annotations),
  });
  const manifestBytes = new TextEncoder().encode(text);
  const descriptor: Descriptor = {
    mediaType: MediaType.OciManifest,
    digest: digestOf(manifestBytes),
    size: manifestBytes.length,
    annotations: { ...annotations },
    ...(variant === 'oci-1.1' ? { artifactType: MediaType.NotarySignature } : {}),
  };
  return { manifestBytes, descriptor, blobs: [EMPTY_JSON_BYTES, options.envelope.bytes] };
}
