/**
 * The airsign library: what the CLI does, as functions. Every operation takes its input first and
 * one options object; none prints, prompts or reads the environment (pass `env`, `promptSecret`,
 * `progress`, `stdin`, `directIo` in). Errors are AirsignError with a code from ERROR_CODES.
 * Only what an embedder calls is exported; encodings, layout readers, streams, tar and PKCS#11
 * plumbing, and the CLI's string parsers are not. The README's "Library" section lists every name
 * below, and test/integration/library-api.test.ts keeps the two equal.
 */

// Operations on an OCI image layout (tar, .tar.gz, directory, or `-` with the stdin option).
export { inspectLayout } from './operations/inspect.js';
export type { InspectReport, InspectNode, InspectImage, InspectReferrer, CosignSignatureListing, SigstoreBundleListing } from './operations/inspect.js';
export { stripLayout } from './operations/strip.js';
export type { StripOptions, StripResult } from './operations/strip.js';
export { repackLayout } from './operations/repack.js';
export type { RepackOptions, RepackResult } from './operations/repack.js';
export { signLayout } from './operations/sign.js';
export type { SignOptions, SignResult } from './operations/sign.js';
export type { SigningRecord, SignatureRecord } from './signing-record.js';
export { verifyLayout } from './operations/verify.js';
export type { VerifyOptions, VerifyReport, VerifyRequirement, RequirementName } from './operations/verify.js';
export { verifySignatureFile } from './operations/verify-signature.js';
export type { VerifySignatureOptions, VerifySignatureReport } from './operations/verify-signature.js';
export type { SignatureVerdict, CheckOutcome, CheckName, CheckResult, Verdict, SignatureFormatName } from './verify/verdict.js';
export type { OpenLayoutOptions } from './layout/open-layout.js';
export type { WriteLayoutOptions } from './layout/write-layout.js';

// Signature formats: the ones `sign` offers (with their options), and a registry of any list of them.
export { defaultFormats } from './formats/default-formats.js';
export type { DefaultFormatOptions } from './formats/default-formats.js';
export { createFormatRegistry } from './formats/registry.js';
export type { FormatRegistry } from './formats/registry.js';
export type { FormatVerification, SignatureChecker, SignatureSearch, FoundSignature, SearchPlace, CheckContext, VerificationTrust, TrustInput, PolicyJudge } from './formats/signature-verification.js';
export type { GpgFormatOptions } from './formats/gpg/gpg-format.js';
export type { ExternalFile, SignatureFormat, SignatureFormatOutput, SignContext, SigningKeyInfo, Timestamper, LayoutReader, IndexEntryEdit } from './formats/signature-format.js';
export type { TsaOptions } from './timestamp/tsa-client.js';

// Keys and certificates.
export { openKey } from './keys/open-key.js';
export type { OpenKeyOptions } from './keys/open-key.js';
export type { PromptSecret, SecretSources } from './keys/secret-source.js';
export type { KeyBackend, KeyType, HashAlgorithm, SignatureScheme } from './key-backend.js';
export { finalizePkcs11Modules } from './keys/pkcs11/pkcs11-session-manager.js';
export { listKeys } from './operations/key-list.js';
export type { ListKeysOptions, ListKeysResult } from './operations/key-list.js';
export type { Pkcs11TokenListing, Pkcs11KeyListing, Pkcs11CertificateListing, Pkcs11TokenContents } from './keys/pkcs11/pkcs11-inventory.js';
export { exportPublicKey } from './operations/key-export.js';
export type { ExportFormat, ExportPublicKeyOptions, ExportPublicKeyResult } from './operations/key-export.js';
export { generateKeyFiles } from './operations/key-generate.js';
export type { GenerateKeyFilesOptions, GenerateKeyFilesResult } from './operations/key-generate.js';
export type { GenerateKeyType } from './keys/generate-key.js';
export { createCertificateFile } from './operations/cert-create.js';
export type { CertCreateOptions, CertCreateResult } from './operations/cert-create.js';

// Shared vocabulary.
export { AirsignError, isAirsignError, errorKindOf, ERROR_CODES } from './errors.js';
export type { ErrorKind, ErrorCode } from './errors.js';
export type { Digest, DigestAlgorithm } from './digest.js';
export type { Descriptor, PlainDescriptor, Platform } from './descriptor.js';
export { MediaType, Annotation } from './media-types.js';
export type { Progress } from './progress.js';
export { VERSION } from './version.js';

// Interrupts and concurrent runs (docs/files.md): pass `signal` to an operation to cancel it; an
// embedder that must exit at once can remove every unfinished temp file with removeTrackedTemporariesSync.
export { removeTrackedTemporariesSync, sweepStaleTemps } from './fs/temp-files.js';
export type { RunControlOptions } from './fs/write-lock.js';
export type { LockHolder } from './fs/file-lock.js';
