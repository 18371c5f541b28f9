/**
 * Adapters from the signature-format seam to the Notation library (envelopes and signature
 * manifests are built by notation-signer.ts / signature-manifest.ts): `notation` (JWS) and
 * `notation-cose` (COSE_Sign1).
 */
import { descriptorFromBytes, plainDescriptor } from '../../descriptor.js';
import { airsignError } from '../../errors.js';
import type { SignatureRecord } from '../../signing-record.js';
import { formatRfc3339 } from '../../rfc3339.js';
import { VERSION } from '../../version.js';
import type { SignatureFormat, SignContext, SigningKeyInfo } from '../signature-format.js';
import { createNotationEnvelope, type NotationEnvelopeType } from './notation-signer.js';
import { validateNotationChain } from './notation-chain.js';
import { buildNotationSignatureManifest } from './signature-manifest.js';
import { notationAlgorithmFor } from './notation-algorithm.js';

export function createNotationFormat(type: NotationEnvelopeType): SignatureFormat {
  const id = type === 'jws' ? 'notation' : 'notation-cose';
  return {
    id,
    describe: type === 'jws'
      ? 'Notary Project signature, JWS envelope (application/jose+json), as notation v1.3 writes it'
      : 'Notary Project signature, COSE_Sign1 envelope (application/cose), as notation v1.3 writes it',
    async check(key: SigningKeyInfo) {
      if (key.chain.length === 0) {
        throw airsignError('NOTATION_NO_CERTIFICATE', `--format ${id} needs an X.509 certificate chain for the key (give --cert chain.pem or store a certificate with the key)`);
      }
      notationAlgorithmFor(key.backend.keyType);
      validateNotationChain(key.chain, key.spki);
    },
    async sign(context: SignContext) {
      const envelope = await createNotationEnvelope(type, context.key.backend, context.key.chain, {
        target: context.subject,
        ...(Object.keys(context.annotations).length === 0 ? {} : { annotations: context.annotations }),
        signingTime: context.signingTime,
        ...(context.expiry === undefined ? {} : { expiry: context.expiry }),
        signingAgent: context.signingAgent,
        ...(context.timestamper === undefined ? {} : { timestamper: context.timestamper }),
      });
      const manifest = buildNotationSignatureManifest({
        subject: context.subject,
        envelope: { mediaType: envelope.mediaType, bytes: envelope.bytes },
        chain: context.key.chain,
        created: context.signingTime,
        variant: context.notationManifest,
      });
      const record: SignatureRecord = {
        format: id,
        signedDescriptor: plainDescriptor(context.subject),
        publicKeyFingerprint: context.key.publicKeyFingerprint,
        certificateThumbprints: context.key.certificateThumbprints,
        signatureManifest: plainDescriptor(manifest.descriptor),
        signature: descriptorFromBytes(envelope.mediaType, envelope.bytes),
        algorithm: envelope.algorithm,
        signingTime: formatRfc3339(context.signingTime),
        ...(context.expiry === undefined ? {} : { expiry: formatRfc3339(context.expiry) }),
        timestamped: context.timestamper !== undefined,
        toolVersion: VERSION,
      };
      return {
        blobs: [...manifest.blobs, manifest.manifestBytes],
        indexEntries: [manifest.descriptor],
        records: [record],
      };
    },
  };
}

export const notationJwsFormat: SignatureFormat = createNotationFormat('jws');
export const notationCoseFormat: SignatureFormat = createNotationFormat('cose');
