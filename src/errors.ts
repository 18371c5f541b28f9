/**
 * One error type for the whole library, and one table of error codes. Every failure a user can
 * cause carries a stable `code` (for tests and scripts); the code alone decides the `kind`, and the
 * kind decides the CLI exit code (src/cli/exit-codes.ts). A code missing from {@link ERROR_CODES}
 * does not compile. docs/errors.md lists the same table and a test keeps the two equal.
 * The library never prints and never exits.
 */
import { printable } from './printable.js';

/** What sort of failure this is; decides the exit code. */
export type ErrorKind =
  /** A signature or digest check said no (exit 1). */
  | 'verification'
  /** Bad command line or bad input data: tarballs, layouts, files, options (exit 2). */
  | 'input'
  /** Key, certificate, passphrase or HSM problem (exit 3). */
  | 'key'
  /**
   * A service the command needs could not be reached (exit 69, sysexits' EX_UNAVAILABLE): the
   * input was fine and the same command may succeed later. Today only the time-stamping authority.
   */
  | 'unavailable'
  /** A bug or an environment failure we did not anticipate (exit 70). */
  | 'internal';

/** Every error code the library throws, with its kind. Add a code here (and to docs/errors.md). */
export const ERROR_CODES = {
  // verification
  COSIGN_BUNDLE_INVALID: 'verification',
  COSIGN_NOT_A_SIGNATURE: 'verification',
  COSIGN_SIGNATURE_INVALID: 'verification',
  NOTATION_ALG_MISMATCH: 'verification',
  NOTATION_BAD_CRITICAL: 'verification',
  NOTATION_BAD_PAYLOAD: 'verification',
  NOTATION_CHAIN_REJECTED: 'verification',
  NOTATION_ENVELOPE_MALFORMED: 'verification',
  NOTATION_EXPIRY_BEFORE_SIGNING: 'verification',
  NOTATION_SIGNATURE_INVALID: 'verification',
  NOTATION_UNSUPPORTED_MEDIA_TYPE: 'verification',
  OPENPGP_KEY_REVOKED: 'verification',
  OPENPGP_KEY_USAGE: 'verification',
  OPENPGP_MESSAGE_MALFORMED: 'verification',
  OPENPGP_SIGNATURE_EXPIRED: 'verification',
  OPENPGP_SIGNATURE_INVALID: 'verification',
  OPENPGP_UNKNOWN_SIGNER: 'verification',
  OPENPGP_UNSUPPORTED: 'verification',
  SIGSTORE_BUNDLE_INVALID: 'verification',
  SIMPLE_SIGNING_DIGEST_MISMATCH: 'verification',
  SIMPLE_SIGNING_INVALID: 'verification',
  // input
  CBOR_MALFORMED: 'input',
  CBOR_UNENCODABLE: 'input',
  CERT_DAYS_INVALID: 'input',
  CERT_IMPORT_NEEDS_PKCS11: 'input',
  CERT_INVALID: 'input',
  CRL_INVALID: 'input',
  CERT_ISSUER_INCOMPLETE: 'input',
  CERT_PATH_LENGTH_INVALID: 'input',
  CERT_PEM_EMPTY: 'input',
  COSIGN_SIG_MANIFEST_INVALID: 'input',
  DN_INVALID: 'input',
  GPG_LOOKASIDE_REQUIRED: 'input',
  GPG_LOOKASIDE_UNUSABLE: 'input',
  GZIP_CORRUPT: 'input',
  IDENTITY_INVALID: 'input',
  IDENTITY_REQUIRED: 'input',
  INPUT_NOT_A_FILE: 'input',
  INPUT_NOT_FOUND: 'input',
  INPUT_NO_STDIN: 'input',
  KEY_TYPE_UNKNOWN: 'input',
  LAYOUT_AMBIGUOUS_IMAGE: 'input',
  LAYOUT_BAD_BLOB_NAME: 'input',
  LAYOUT_BAD_DESCRIPTOR: 'input',
  LAYOUT_BAD_DIGEST: 'input',
  LAYOUT_BAD_INDEX: 'input',
  LAYOUT_BAD_JSON: 'input',
  LAYOUT_BAD_MANIFEST: 'input',
  LAYOUT_BAD_OCI_LAYOUT: 'input',
  LAYOUT_BLOB_TOO_LARGE: 'input',
  LAYOUT_CHANGED: 'input',
  LAYOUT_DIGEST_MISMATCH: 'input',
  LAYOUT_GRAPH_TOO_DEEP: 'input',
  LAYOUT_IMAGE_NOT_FOUND: 'input',
  LAYOUT_INDEX_TOO_LARGE: 'input',
  LAYOUT_JSON_TOO_DEEP: 'input',
  LAYOUT_JSON_TOO_LARGE: 'input',
  LAYOUT_LINK_ENTRY: 'input',
  LAYOUT_LOCKED: 'input',
  LAYOUT_MISSING_BLOB: 'input',
  LAYOUT_MISSING_FILE: 'input',
  LAYOUT_NOT_AN_IMAGE: 'input',
  LAYOUT_NO_IMAGE: 'input',
  LAYOUT_NO_INDEX: 'input',
  LAYOUT_NO_OCI_LAYOUT: 'input',
  LAYOUT_SIZE_MISMATCH: 'input',
  LAYOUT_STRIPPED: 'input',
  LAYOUT_UNREADABLE: 'input',
  LAYOUT_UNSUPPORTED_DIGEST: 'input',
  NOTATION_BAD_MANIFEST_VARIANT: 'input',
  NOTATION_BAD_TIME: 'input',
  OPENPGP_KEYRING_INVALID: 'input',
  OPENPGP_TIME_INVALID: 'input',
  OPENPGP_USER_ID_INVALID: 'input',
  OUTPUT_CONFLICT: 'input',
  OUTPUT_EXISTS: 'input',
  OUTPUT_IN_STRIP_DIR: 'input',
  OUTPUT_IS_DIRECTORY: 'input',
  OUTPUT_NOT_A_FILE: 'input',
  OUTPUT_OVERWRITES_INPUT: 'input',
  OUTPUT_REQUIRED: 'input',
  OUTPUT_WRITE_FAILED: 'input',
  PEM_INVALID: 'input',
  PKCS11_SUPPORT_MISSING: 'key',
  PKCS11_URI_INVALID: 'input',
  POLICY_INVALID: 'input',
  SIGN_BAD_ANNOTATION: 'input',
  SIGN_BAD_EXPIRY: 'input',
  SIGN_BAD_OPTION: 'input',
  SIGN_NO_FORMAT: 'input',
  SIGN_NO_KEY: 'input',
  SIGN_RECORD_PATH: 'input',
  SIGN_STDIN: 'input',
  SIGN_UNKNOWN_FORMAT: 'input',
  STRIP_DIR_BAD_RECORD: 'input',
  STRIP_DIR_IN_USE: 'input',
  STRIP_DIR_LINK_ENTRY: 'input',
  STRIP_DIR_MISSING_BLOB: 'input',
  STRIP_DIR_NOT_FOUND: 'input',
  STRIP_DIR_NO_RECORD: 'input',
  STRIP_DIR_OVERLAPS_LAYOUT: 'input',
  STRIP_DIR_UNUSABLE: 'input',
  STRIP_DIR_WRONG_BLOB: 'input',
  STRIP_DIR_WRONG_IMAGE: 'input',
  TAR_AMBIGUOUS: 'input',
  TAR_BAD_CHECKSUM: 'input',
  TAR_BAD_HEADER: 'input',
  TAR_DUPLICATE_ENTRY: 'input',
  TAR_EMPTY: 'input',
  TAR_LINK_ENTRY: 'input',
  TAR_NOT_A_TAR: 'input',
  TAR_REENCODED: 'input',
  TAR_TOO_MANY_ENTRIES: 'input',
  TAR_TRUNCATED: 'input',
  TAR_UNSAFE_PATH: 'input',
  TAR_UNSUPPORTED_ENTRY: 'input',
  TRUST_POLICY_INVALID: 'input',
  TRUST_STORE_INVALID: 'input',
  TSA_BAD_CERTIFICATE: 'input',
  TSA_BAD_REQUEST: 'input',
  TSA_BAD_RESPONSE: 'input',
  TSA_BAD_SIGNATURE: 'input',
  TSA_BAD_URL: 'input',
  TSA_CERT_EKU: 'input',
  TSA_ESS_MISSING: 'input',
  TSA_HTTP_ERROR: 'input',
  TSA_IMPRINT_MISMATCH: 'input',
  TSA_NONCE_MISMATCH: 'input',
  TSA_REJECTED: 'input',
  TSA_ROOT_REQUIRED: 'input',
  TSA_TIME_OUTSIDE_VALIDITY: 'input',
  TSA_TOKEN_UNTRUSTED: 'input',
  TSA_WEAK_ALGORITHM: 'input',
  USAGE: 'input',
  USER_ID_REQUIRED: 'input',
  VERIFY_NEEDS_INPUT: 'input',
  VERIFY_NEEDS_KEY: 'input',
  VERIFY_NEEDS_KEYRING: 'input',
  VERIFY_NEEDS_LOOKASIDE: 'input',
  VERIFY_NEEDS_TRUST_POLICY: 'input',
  VERIFY_NO_TRUST_POLICY: 'input',
  // key
  CERT_ISSUER_KEY_MISMATCH: 'key',
  CERT_ISSUER_NOT_CA: 'key',
  CERT_SIGNATURE_INVALID: 'key',
  KEY_CERT_INVALID: 'key',
  KEY_CERT_MISMATCH: 'key',
  KEY_CERT_UNREADABLE: 'key',
  KEY_CLOSED: 'key',
  KEY_COSIGN_FORMAT: 'key',
  KEY_DIGEST_LENGTH: 'key',
  KEY_FILE_NOT_FOUND: 'key',
  KEY_FILE_UNREADABLE: 'key',
  KEY_FORMAT_UNSUPPORTED: 'key',
  KEY_PASSPHRASE_MISMATCH: 'key',
  KEY_PASSPHRASE_REQUIRED: 'key',
  KEY_PASSPHRASE_WRONG: 'key',
  KEY_PROMPT_CANCELLED: 'key',
  KEY_PUBLIC_KEY_INVALID: 'key',
  KEY_SCHEME_UNSUPPORTED: 'key',
  KEY_SECRET_FILE_ENCODING: 'key',
  KEY_SECRET_FILE_TRAILING_SPACE: 'key',
  KEY_SECRET_FILE_UNREADABLE: 'key',
  KEY_SIGNATURE_ENCODING: 'key',
  KEY_SIGNATURE_LENGTH: 'key',
  KEY_TYPE_MISMATCH: 'key',
  KEY_TYPE_UNSUPPORTED: 'key',
  NATIVE_LIBRARY_UNAVAILABLE: 'key',
  NOTATION_CA_INVALID: 'key',
  NOTATION_CERT_MALFORMED: 'key',
  NOTATION_CERT_NOT_VALID: 'key',
  NOTATION_CHAIN_ORDER: 'key',
  NOTATION_KEY_UNSUPPORTED: 'key',
  NOTATION_LEAF_EKU: 'key',
  NOTATION_LEAF_IS_CA: 'key',
  NOTATION_LEAF_KEY_USAGE: 'key',
  NOTATION_NO_CERTIFICATE: 'key',
  NOTATION_WEAK_CERT_SIGNATURE: 'key',
  PKCS11_ERROR: 'key',
  PKCS11_INIT_FAILED: 'key',
  PKCS11_KEY_NOT_PERMITTED: 'key',
  PKCS11_MECHANISM_UNSUPPORTED: 'key',
  PKCS11_MODULE_LOAD_FAILED: 'key',
  PKCS11_MODULE_NOT_FOUND: 'key',
  PKCS11_MODULE_REQUIRED: 'key',
  PKCS11_NOT_LOGGED_IN: 'key',
  PKCS11_OBJECT_AMBIGUOUS: 'key',
  PKCS11_OBJECT_EXISTS: 'key',
  PKCS11_OBJECT_NOT_FOUND: 'key',
  PKCS11_PIN_EXPIRED: 'key',
  PKCS11_PIN_INCORRECT: 'key',
  PKCS11_PIN_INVALID: 'key',
  PKCS11_PIN_LOCKED: 'key',
  PKCS11_PIN_REQUIRED: 'key',
  PKCS11_PUBLIC_KEY_NOT_FOUND: 'key',
  PKCS11_TOKEN_AMBIGUOUS: 'key',
  PKCS11_TOKEN_NOT_FOUND: 'key',
  PKCS11_TOKEN_READ_ONLY: 'key',
  PKCS11_URI_INCOMPLETE: 'key',
  SIGNATURE_SELF_CHECK_FAILED: 'key',
  // unavailable
  TSA_UNREACHABLE: 'unavailable',
  // internal
  FORMAT_DUPLICATE: 'internal',
  INTERNAL: 'internal',
  NOTATION_SIGNATURE_SHAPE: 'internal',
  OPENPGP_ALGORITHM: 'internal',
} as const satisfies Record<string, ErrorKind>;

/** A code from {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * An option of the library's operations, by its field name (`VerifyOptions.identity`, …). Library
 * errors name options this way, in `details.option` (or `details.missing`) and in their messages as
 * `options.<field>`; only the CLI renders them as its flags (src/cli/option-flags.ts).
 */
export type OptionField =
  | 'annotations'
  | 'armor'
  | 'as'
  | 'ca'
  | 'days'
  | 'expiry'
  | 'fingerprints'
  | 'force'
  | 'formats'
  | 'identity'
  | 'import'
  | 'issuerCert'
  | 'issuerKey'
  | 'key'
  | 'keyOptions.certificatePath'
  | 'keyOptions.modulePath'
  | 'keyOptions.pinFile'
  | 'keyring'
  | 'keys'
  | 'lookaside'
  | 'match'
  | 'notationManifest'
  | 'output'
  | 'passwordFile'
  | 'pathLength'
  | 'policy'
  | 'recordPath'
  | 'reference'
  | 'replace'
  | 'trustPolicy'
  | 'trustStore'
  | 'trailingSpaceIsSecret'
  | 'tsaUrl'
  | 'tsaOptions.rootCertificates'
  | 'userId';

/** A file the error is about. */
interface PathDetails { path: string }
/** A bad value of one option. */
interface OptionDetails { option: OptionField; value?: string }
/** The options of the PKCS#11 mapping (src/keys/pkcs11/pkcs11-errors.ts). */
/** One key a token shows, as a label or id typo lists them. */
interface Pkcs11KeyListing { label: string | null; id: string; keyType: string | null }
interface Pkcs11Details { ckr?: string | null; operation?: string; token?: string; mechanism?: string; modulePath?: string }

/**
 * The `details` each code carries, checked by the compiler where the error is made. `digest` is
 * always present where a blob is concerned. A code not listed here carries no details.
 */
export interface ErrorDetailsByCode {
  // Blobs: `digest` names the blob (as its descriptor gives it).
  LAYOUT_DIGEST_MISMATCH: { digest: string; expected: string; actual: string };
  LAYOUT_SIZE_MISMATCH: { digest: string; expected: number; actual: number };
  LAYOUT_MISSING_BLOB: { digest: string; missing?: string[] };
  LAYOUT_BLOB_TOO_LARGE: { digest: string; size: number; limit: number };
  STRIP_DIR_MISSING_BLOB: { digest: string };
  STRIP_DIR_WRONG_BLOB: { digest: string };
  STRIP_DIR_BAD_RECORD: { digest?: string };
  COSIGN_SIG_MANIFEST_INVALID: { tag: string; digest: string; missing?: string };
  SIMPLE_SIGNING_DIGEST_MISMATCH: { signed?: string; actual?: string };
  // Files and outputs.
  INPUT_NOT_FOUND: PathDetails & { option?: OptionField };
  KEY_CERT_UNREADABLE: PathDetails;
  KEY_CERT_INVALID: Partial<PathDetails>;
  KEY_FILE_NOT_FOUND: PathDetails;
  KEY_FILE_UNREADABLE: PathDetails;
  KEY_FORMAT_UNSUPPORTED: Partial<PathDetails> & { pemLabel?: string };
  KEY_PASSPHRASE_WRONG: Partial<PathDetails>;
  KEY_SECRET_FILE_UNREADABLE: PathDetails;
  KEY_SECRET_FILE_ENCODING: PathDetails;
  KEY_SECRET_FILE_TRAILING_SPACE: PathDetails;
  LAYOUT_LINK_ENTRY: PathDetails;
  LAYOUT_CHANGED: PathDetails;
  LAYOUT_LOCKED: PathDetails & { lockPath: string; pid?: number; hostname?: string };
  STRIP_DIR_LINK_ENTRY: PathDetails;
  OUTPUT_EXISTS: PathDetails & { option?: 'force' };
  OUTPUT_IS_DIRECTORY: PathDetails;
  OUTPUT_NOT_A_FILE: PathDetails;
  OUTPUT_WRITE_FAILED: { path?: string; lockPath?: string; what?: string; directory?: string; diskFull?: true; /** Windows kept refusing the replace: another program has the file open. */ inUse?: true };
  OUTPUT_OVERWRITES_INPUT: { output: string; other?: string; source?: string };
  OUTPUT_IN_STRIP_DIR: { output: string; directory: string };
  OUTPUT_CONFLICT: { option?: 'output' };
  STRIP_DIR_OVERLAPS_LAYOUT: { directory: string; source: string };
  GPG_LOOKASIDE_UNUSABLE: { option: 'lookaside'; lookaside: string };
  LAYOUT_INDEX_TOO_LARGE: { bytes: number; limit: number };
  LAYOUT_AMBIGUOUS_IMAGE: { option: 'reference'; candidates: Array<{ digest: string; names: string[] }> };
  // Options and inputs.
  USAGE: Partial<OptionDetails>;
  IDENTITY_INVALID: { reference: string };
  IDENTITY_REQUIRED: { option: 'identity'; formats?: readonly string[]; suggestion?: string };
  GPG_LOOKASIDE_REQUIRED: { option: 'lookaside' };
  SIGN_BAD_EXPIRY: OptionDetails;
  SIGN_BAD_OPTION: OptionDetails;
  SIGN_BAD_ANNOTATION: OptionDetails;
  SIGN_UNKNOWN_FORMAT: { option: 'formats'; format: string; known: string[] };
  SIGN_NO_FORMAT: { option: 'formats'; known: string[] };
  SIGN_NO_KEY: { option: 'key' };
  NOTATION_NO_CERTIFICATE: { option?: 'keyOptions.certificatePath' };
  TSA_BAD_URL: OptionDetails;
  TSA_ROOT_REQUIRED: { option: 'tsaOptions.rootCertificates' };
  CERT_DAYS_INVALID: OptionDetails;
  CERT_PATH_LENGTH_INVALID: OptionDetails;
  CERT_IMPORT_NEEDS_PKCS11: { option?: 'import' };
  OUTPUT_REQUIRED: { option?: 'output' };
  CERT_ISSUER_INCOMPLETE: { option: 'issuerKey' | 'issuerCert' };
  USER_ID_REQUIRED: { option: 'userId' };
  VERIFY_NEEDS_INPUT: { missing: OptionField[] };
  VERIFY_NEEDS_KEY: { missing: OptionField[] };
  VERIFY_NEEDS_KEYRING: { missing: OptionField[] };
  VERIFY_NEEDS_LOOKASIDE: { missing: OptionField[] };
  VERIFY_NEEDS_TRUST_POLICY: { missing: OptionField[] };
  VERIFY_NO_TRUST_POLICY: { identity?: string; scope?: string };
  KEY_PUBLIC_KEY_INVALID: { option?: 'keys'; index?: number };
  TRUST_STORE_INVALID: { option?: 'trustStore'; store?: string };
  // Signatures and keys.
  NOTATION_CHAIN_REJECTED: { rule: ErrorCode | 'CHAIN_CHANGED' };
  NOTATION_KEY_UNSUPPORTED: { keyType?: string };
  KEY_SCHEME_UNSUPPORTED: { keyType?: string; algorithm?: string };
  SIGNATURE_SELF_CHECK_FAILED: { format?: string; algorithm?: string };
  OPENPGP_UNKNOWN_SIGNER: { keyId?: string };
  OPENPGP_UNSUPPORTED: { keyId: string };
  OPENPGP_SIGNATURE_INVALID: { keyId: string };
  OPENPGP_KEY_USAGE: { keyId?: string };
  TSA_REJECTED: { status: number; statusText?: string };
  TSA_TOKEN_UNTRUSTED: { rule?: string };
  TSA_HTTP_ERROR: { status: number | undefined };
  // PKCS#11.
  PKCS11_ERROR: Pkcs11Details;
  PKCS11_PIN_INCORRECT: Pkcs11Details;
  PKCS11_PIN_LOCKED: Pkcs11Details;
  PKCS11_PIN_INVALID: Pkcs11Details;
  PKCS11_PIN_EXPIRED: Pkcs11Details;
  PKCS11_MECHANISM_UNSUPPORTED: Pkcs11Details & { wanted?: string[]; offered?: string[] };
  PKCS11_KEY_NOT_PERMITTED: Pkcs11Details;
  PKCS11_TOKEN_NOT_FOUND: Pkcs11Details & { wanted?: string | null; available?: string[] };
  PKCS11_TOKEN_READ_ONLY: Pkcs11Details;
  PKCS11_NOT_LOGGED_IN: Pkcs11Details;
  PKCS11_TOKEN_AMBIGUOUS: { slots: string[] };
  PKCS11_OBJECT_NOT_FOUND: { token: string; object?: string; id?: string; available?: Pkcs11KeyListing[] };
  PKCS11_PUBLIC_KEY_NOT_FOUND: { token: string; object?: string; id?: string; available?: Pkcs11KeyListing[] };
  PKCS11_OBJECT_AMBIGUOUS: { token: string };
  PKCS11_MODULE_NOT_FOUND: { modulePath: string };
  PKCS11_MODULE_LOAD_FAILED: { modulePath: string };
  PKCS11_INIT_FAILED: { modulePath: string; ckr: string };
}

/** The details of errors with code `C` (none for a code {@link ErrorDetailsByCode} does not list). */
export type ErrorDetails<C extends ErrorCode = ErrorCode> = C extends keyof ErrorDetailsByCode ? ErrorDetailsByCode[C] : NoDetails;
/** What a code without details carries: nothing. */
export type NoDetails = Record<string, never>;

export interface AirsignErrorOptions<C extends ErrorCode = ErrorCode> {
  cause?: unknown;
  /** Structured facts for `--json` output and tests (never secrets), typed per code. */
  details?: ErrorDetails<C>;
}

/** The options argument: required (with details) for a code whose details have required fields. */
type OptionsArgument<C extends ErrorCode> = NoDetails extends ErrorDetails<C>
  ? [options?: AirsignErrorOptions<C>]
  : [options: AirsignErrorOptions<C> & { details: ErrorDetails<C> }];

/** The one error class the library throws for failures a user can cause. */
export class AirsignError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly kind: ErrorKind;
  readonly details: ErrorDetails<C>;

  constructor(code: C, message: string, ...[options]: OptionsArgument<C>) {
    // One line by rule: input quoted in a message (names, JSON text) is shown escaped (src/printable.ts).
    super(printable(message), options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AirsignError';
    this.code = code;
    this.kind = ERROR_CODES[code];
    this.details = options?.details ?? ({} as ErrorDetails<C>);
  }
}

/** An AirsignError of any one code: comparing `code` narrows `details` to that code's shape. */
export type AnyAirsignError = { [C in ErrorCode]: AirsignError<C> }[ErrorCode];

/** Shorthand for `new AirsignError(code, message, options)`, for `throw airsignError(...)`. */
export function airsignError<C extends ErrorCode>(code: C, message: string, ...options: OptionsArgument<C>): AirsignError<C> {
  return new AirsignError(code, message, ...options);
}

/** The kind of an error code. */
export function errorKindOf(code: ErrorCode): ErrorKind {
  return ERROR_CODES[code];
}

/** True for an AirsignError, so `code`, `kind` and `details` can be read. */
export function isAirsignError(value: unknown): value is AnyAirsignError {
  return value instanceof AirsignError;
}
