/** Media types this tool reads or writes. One place, so no module hard-codes its own copy. */
export const MediaType = {
  OciLayoutHeader: 'application/vnd.oci.layout.header.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciEmpty: 'application/vnd.oci.empty.v1+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  InToto: 'application/vnd.in-toto+json',
  DockerAttestationManifest: 'application/vnd.docker.attestation.manifest.v1+json',
  NotarySignature: 'application/vnd.cncf.notary.signature',
  NotaryPayload: 'application/vnd.cncf.notary.payload.v1+json',
  Jws: 'application/jose+json',
  Cose: 'application/cose',
  CosignSimpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
  SigstoreBundleV03: 'application/vnd.dev.sigstore.bundle.v0.3+json',
} as const;

const INDEX_MEDIA_TYPES: ReadonlySet<string> = new Set([MediaType.OciIndex, MediaType.DockerManifestList]);
const MANIFEST_MEDIA_TYPES: ReadonlySet<string> = new Set([MediaType.OciManifest, MediaType.DockerManifest]);

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && INDEX_MEDIA_TYPES.has(mediaType);
}

export function isManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && MANIFEST_MEDIA_TYPES.has(mediaType);
}

/** The digest and bytes of the OCI empty descriptor's content `{}`. */
export const EMPTY_JSON_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';
export const EMPTY_JSON_BYTES: Uint8Array = new TextEncoder().encode('{}');

/** Annotation keys. */
export const Annotation = {
  RefName: 'org.opencontainers.image.ref.name',
  Created: 'org.opencontainers.image.created',
  ContainerdImageName: 'io.containerd.image.name',
  DockerReferenceType: 'vnd.docker.reference.type',
  DockerReferenceDigest: 'vnd.docker.reference.digest',
  NotaryThumbprint: 'io.cncf.notary.x509chain.thumbprint#S256',
} as const;
