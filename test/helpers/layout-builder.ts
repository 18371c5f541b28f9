/**
 * Builds test layouts in buildx's shape on disk (a directory), in-process. Layers are random bytes
 * (incompressible, opaque); manifests use 2-space JSON as BuildKit writes them; index.json is
 * compact. Tarring them with GNU tar (a peer) is test/integration/layout/build-fixtures.ts's part.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sha256Hex } from './sha256.js';

export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
}

export class LayoutBuilder {
  readonly blobsDir: string;
  readonly index: { schemaVersion: 2; mediaType: string; manifests: Array<Record<string, unknown>> } = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [],
  };

  constructor(readonly dir: string) {
    this.blobsDir = join(dir, 'blobs', 'sha256');
    mkdirSync(this.blobsDir, { recursive: true });
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  }

  blob(mediaType: string, bytes: Uint8Array): Blob {
    const hex = sha256Hex(bytes);
    writeFileSync(join(this.blobsDir, hex), bytes);
    return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
  }

  json(mediaType: string, value: unknown, indent = 2): Blob {
    return this.blob(mediaType, Buffer.from(JSON.stringify(value, null, indent)));
  }

  layer(size: number): Blob {
    // Real gzip of random bytes: opaque and incompressible, and peers (skopeo) keep it as is.
    return this.blob('application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(randomBytes(size), { level: 1 }));
  }

  config(arch: string): Blob {
    return this.json('application/vnd.oci.image.config.v1+json', {
      architecture: arch,
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [] },
      config: { Cmd: ['/app'] },
    });
  }

  manifest(config: Blob, layers: Blob[], extra: Record<string, unknown> = {}): Blob {
    return this.json('application/vnd.oci.image.manifest.v1+json', {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...(extra.artifactType === undefined ? {} : { artifactType: extra.artifactType }),
      config,
      layers,
      ...(extra.subject === undefined ? {} : { subject: extra.subject }),
    });
  }

  addEntry(entry: Record<string, unknown>): void {
    this.index.manifests.push(entry);
  }

  writeIndex(): Buffer {
    const bytes = Buffer.from(JSON.stringify(this.index));
    writeFileSync(join(this.dir, 'index.json'), bytes);
    return bytes;
  }
}

export interface RichLayout<B extends LayoutBuilder = LayoutBuilder> {
  builder: B;
  index: Blob;
  amd64: Blob;
  arm64: Blob;
  layers: Blob[];
  attestationLegacy: Blob;
  attestationArtifact: Blob;
  notationSignature: Blob;
  cosignSignature: Blob;
  other?: Blob;
}

/**
 * A multi-platform image (amd64 + arm64) with BuildKit attestation manifests in both shapes, a
 * Notation signature referrer (untagged index.json entry) and a cosign `.sig` tag. With
 * `otherImage`, a second single-platform image tagged `other`.
 */
export function buildRichLayout(dir: string, options: RichLayoutOptions = {}): RichLayout {
  return fillRichLayout(new LayoutBuilder(dir), options);
}

export interface RichLayoutOptions {
  otherImage?: boolean;
  layerSize?: number;
}

/** buildRichLayout into a given builder (one that can also tar, for instance). */
export function fillRichLayout<B extends LayoutBuilder>(b: B, options: RichLayoutOptions = {}): RichLayout<B> {
  const size = options.layerSize ?? 300_000;
  const l1 = b.layer(size);
  const l2 = b.layer(1_200_000); // crosses the 1 MiB chunk size
  const l3 = b.layer(size + 17);
  const amd64 = b.manifest(b.config('amd64'), [l1, l2]);
  const arm64 = b.manifest(b.config('arm64'), [l3]);
  const intoto = b.blob('application/vnd.in-toto+json', Buffer.from('{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v0.2"}'));
  const attConfig = b.json('application/vnd.oci.image.config.v1+json', { architecture: 'unknown', os: 'unknown', config: {}, rootfs: { type: 'layers', diff_ids: [] } });
  const attestationLegacy = b.manifest(attConfig, [{ ...intoto, annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' } } as Blob]);
  const empty = b.blob('application/vnd.oci.empty.v1+json', Buffer.from('{}'));
  const intoto2 = b.blob('application/vnd.in-toto+json', Buffer.from('{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document"}'));
  const attestationArtifact = b.manifest({ ...empty, data: 'e30=' } as Blob, [intoto2], {
    artifactType: 'application/vnd.docker.attestation.manifest.v1+json',
    subject: { mediaType: arm64.mediaType, digest: arm64.digest, size: arm64.size },
  });
  const index = b.json('application/vnd.oci.image.index.v1+json', {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { ...amd64, platform: { architecture: 'amd64', os: 'linux' } },
      { ...arm64, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
      { ...attestationLegacy, annotations: { 'vnd.docker.reference.digest': amd64.digest, 'vnd.docker.reference.type': 'attestation-manifest' }, platform: { architecture: 'unknown', os: 'unknown' } },
      { ...attestationArtifact, artifactType: 'application/vnd.docker.attestation.manifest.v1+json', annotations: { 'vnd.docker.reference.digest': arm64.digest, 'vnd.docker.reference.type': 'attestation-manifest' }, platform: { architecture: 'unknown', os: 'unknown' } },
    ],
  });
  for (const tag of ['1.0', 'latest']) {
    b.addEntry({ ...index, annotations: { 'io.containerd.image.name': `docker.io/library/app:${tag}`, 'org.opencontainers.image.created': '2026-01-01T00:00:00Z', 'org.opencontainers.image.ref.name': tag } });
  }
  const envelope = b.blob('application/jose+json', Buffer.from('{"payload":"e30","protected":"e30","signature":"AAAA"}'));
  const notationSignature = b.manifest(empty, [envelope], {
    artifactType: 'application/vnd.cncf.notary.signature',
    subject: { mediaType: index.mediaType, digest: index.digest, size: index.size },
  });
  b.addEntry({ ...notationSignature, artifactType: 'application/vnd.cncf.notary.signature' });
  const simple = b.blob('application/vnd.dev.cosign.simplesigning.v1+json', Buffer.from(`{"critical":{"image":{"docker-manifest-digest":"${index.digest}"},"type":"cosign container image signature"},"optional":null}`));
  const cosignConfig = b.json('application/vnd.oci.image.config.v1+json', { architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [] } });
  const cosignSignature = b.manifest(cosignConfig, [{ ...simple, annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ==' } } as Blob]);
  b.addEntry({ ...cosignSignature, annotations: { 'org.opencontainers.image.ref.name': `sha256-${index.digest.slice(7)}.sig` } });
  let other: Blob | undefined;
  if (options.otherImage) {
    other = b.manifest(b.config('amd64'), [b.layer(5000)]);
    b.addEntry({ ...other, annotations: { 'io.containerd.image.name': 'docker.io/library/other:2', 'org.opencontainers.image.ref.name': 'other' }, platform: { architecture: 'amd64', os: 'linux' } });
  }
  b.writeIndex();
  return {
    builder: b,
    index,
    amd64,
    arm64,
    layers: [l1, l2, l3],
    attestationLegacy,
    attestationArtifact,
    notationSignature,
    cosignSignature,
    ...(other === undefined ? {} : { other }),
  };
}
