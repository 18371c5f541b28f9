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
export { openKey, isPkcs11Spec } from './keys/open-key.js';
export type { OpenKeyOptions } from './keys/open-key.js';
export { encryptCosignKey, decryptCosignKey } from './keys/cosign-key-file.js';
export { generateKeyFile, generateKeyPair } from './keys/generate-key.js';
export type { GenerateKeyType, GenerateKeyOptions, GeneratedKeyPair } from './keys/generate-key.js';
export { rawToDerEcdsa, derToRawEcdsa } from './keys/signature-encoding.js';
export { parsePkcs11Uri, formatPkcs11Uri } from './keys/pkcs11/pkcs11-uri.js';
export type { Pkcs11Uri } from './keys/pkcs11/pkcs11-uri.js';
