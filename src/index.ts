// Library entry point: explicit named exports; types exported separately.
export { AirsignError, isAirsignError, inputError, keyError, verificationError, internalError } from './errors.js';
export type { ErrorKind, AirsignErrorOptions } from './errors.js';
export { parseDigest, digestOf, sha256Hex, verifyBytes, VerifyingStream, isDigest } from './digest.js';
export type { Digest, DigestAlgorithm, ParsedDigest } from './digest.js';
export { descriptorEquals, descriptorFromBytes, plainDescriptor, assertDescriptor } from './descriptor.js';
export type { Descriptor, PlainDescriptor, Platform } from './descriptor.js';
export { MediaType, Annotation, EMPTY_JSON_DIGEST } from './media-types.js';
export type { KeyBackend, KeyType, HashAlgorithm, SignatureScheme } from './keys/key-backend.js';
export { VERSION } from './version.js';
export { createNotationEnvelope, notationEnvelopeMediaType } from './formats/notation/notation-signer.js';
export type { NotationEnvelopeType, NotationSignRequest, NotationEnvelope } from './formats/notation/notation-signer.js';
export { notationAlgorithmFor } from './formats/notation/notation-algorithm.js';
export type { NotationAlgorithm } from './formats/notation/notation-algorithm.js';
export { validateNotationChain } from './formats/notation/notation-chain.js';
export { buildNotationSignatureManifest, notationThumbprints } from './formats/notation/signature-manifest.js';
export type { NotationManifestVariant, NotationSignatureManifest, NotationSignatureManifestOptions } from './formats/notation/signature-manifest.js';
export { verifyNotationEnvelope } from './formats/notation/verify-envelope.js';
export type { VerifiedNotationEnvelope } from './formats/notation/verify-envelope.js';
