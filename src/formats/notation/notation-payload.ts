/**
 * The Notary Project payload `{"targetArtifact": descriptor}` (media type
 * application/vnd.cncf.notary.payload.v1+json). Only mediaType, digest, size and the user's
 * annotations go in. notation-go emits the bytes differently per envelope: the JWS path re-marshals
 * the payload as a Go map (keys sorted), the COSE path embeds the Go struct encoding (mediaType,
 * digest, size, annotations).
 */
import type { PlainDescriptor } from '../../descriptor.js';
import { GoMap, goJson, goJsonSorted } from '../../go-json.js';

export function notationPayloadBytes(
  envelope: 'jws' | 'cose',
  target: PlainDescriptor,
  annotations: Record<string, string> | undefined,
): Uint8Array {
  const hasAnnotations = annotations !== undefined && Object.keys(annotations).length > 0;
  const descriptor = {
    mediaType: target.mediaType,
    digest: target.digest,
    size: target.size,
    ...(hasAnnotations ? { annotations: new GoMap(annotations) } : {}),
  };
  const text = envelope === 'jws' ? goJsonSorted({ targetArtifact: descriptor }) : goJson({ targetArtifact: descriptor });
  return new TextEncoder().encode(text);
}
