/**
 * Writes the cosign simple-signing payload (sigstore/sigstore pkg/signature/payload; read back by
 * ../simple-signing/read-simple-signing-payload.ts): Go struct order
 * `critical.identity.docker-reference`, `critical.image.docker-manifest-digest`, `critical.type`,
 * then `optional` — null without annotations, else a map with sorted keys — compact, Go-escaped.
 */
import { GoMap, goJson } from '../../go-json.js';
import { COSIGN_SIGNATURE_TYPE } from '../simple-signing/read-simple-signing-payload.js';

/** The payload bytes cosign writes for an image digest under `identity`. */
export function cosignSimpleSigningPayload(identity: string, digest: string, annotations: Record<string, string>): Uint8Array {
  const optional = Object.keys(annotations).length === 0 ? null : new GoMap(annotations);
  const text = goJson({
    critical: {
      identity: { 'docker-reference': identity },
      image: { 'docker-manifest-digest': digest },
      type: COSIGN_SIGNATURE_TYPE,
    },
    optional,
  });
  return new TextEncoder().encode(text);
}
