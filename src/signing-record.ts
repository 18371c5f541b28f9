/**
 * The JSON signing record: what was signed, with which key, into which signature manifests. It
 * is written with `--record` (temp file + rename) and printed with `--json`. Stable field names:
 * scripts and audits read it.
 */
import { randomBytes } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { writeFileAtomic } from './fs/atomic-write.js';
import { checkOutputTarget } from './fs/output-target.js';
import { removePath, type PlatformFs } from './fs/platform-fs.js';
import { basename, dirname, join } from 'node:path';
import type { PlainDescriptor } from './descriptor.js';
import { airsignError } from './errors.js';
import { VERSION } from './version.js';
import { inputFileMode } from './fs/input-mode.js';

/** The record's shape version (the same `schemaVersion` every `--json` document starts with). */
const SIGNING_RECORD_SCHEMA_VERSION = 1;

/** One signature made. */
export interface SignatureRecord {
  /** The --format id, e.g. "notation" or "notation-cose". */
  format: string;
  /** The signed manifest or index (mediaType, digest, size). */
  signedDescriptor: PlainDescriptor;
  /** sha256 of the signer's SubjectPublicKeyInfo DER, lowercase hex. */
  publicKeyFingerprint: string;
  /** sha256 of each certificate's DER in chain order (leaf first), lowercase hex. */
  certificateThumbprints: string[];
  /** The signature manifest added to index.json (absent for GPG: its signature is outside the layout). */
  signatureManifest?: PlainDescriptor;
  /** The envelope / signature blob (for GPG: the OpenPGP signed message). */
  signature: PlainDescriptor;
  /** The registry identity signed (`docker-reference`, normalized), for GPG and cosign. */
  identity?: string;
  /** A signature written outside the layout: its path (GPG: the lookaside `signature-N`). */
  file?: string;
  /** The OpenPGP v4 fingerprint of the signing key, 40 uppercase hex digits (GPG). */
  openpgpFingerprint?: string;
  /** Signature algorithm, e.g. ES256 or PS384. */
  algorithm: string;
  /** RFC 3339, UTC, whole seconds. */
  signingTime: string;
  expiry?: string;
  /** True when an RFC 3161 token is embedded. */
  timestamped: boolean;
  toolVersion: string;
  /**
   * Digests of signature manifests of this format by this same key over the same subject that the
   * layout already held (this run added one more); absent when there were none.
   */
  existingSignatures?: string[];
  /** The index.json tag the signature manifest carries (cosign `sha256-<hex>.sig`). */
  tag?: string;
  /** True when an identical signature was already there and nothing was added. */
  existing?: boolean;
}

/** The whole record of one `sign` run. */
export interface SigningRecord {
  schemaVersion: typeof SIGNING_RECORD_SCHEMA_VERSION;
  tool: { name: 'airsign'; version: string };
  /** The --reference given, if any. */
  reference?: string;
  /** The normalized registry reference signed into cosign/GPG payloads in this run, if any. */
  identity?: string;
  /** Secret-free key description (file path or PKCS#11 URI without PIN). */
  key: string;
  signatures: SignatureRecord[];
  /** Things skipped or worth knowing (e.g. missing platform manifests). */
  notes: string[];
}

export function createSigningRecord(options: { key: string; reference?: string; identity?: string; signatures: SignatureRecord[]; notes?: string[] }): SigningRecord {
  return {
    schemaVersion: SIGNING_RECORD_SCHEMA_VERSION,
    tool: { name: 'airsign', version: VERSION },
    ...(options.reference === undefined ? {} : { reference: options.reference }),
    ...(options.identity === undefined ? {} : { identity: options.identity }),
    key: options.key,
    signatures: options.signatures,
    notes: options.notes ?? [],
  };
}

/**
 * Fails early (SIGN_RECORD_PATH) when the record could not be written later: no directory, one we
 * cannot create files in, or a directory at the path. The check creates (and removes) a file there:
 * access(W_OK) says yes for a regular file and, on Windows, for folders whose ACL refuses us.
 */
export async function checkRecordPath(path: string): Promise<void> {
  const probe = join(dirname(path), `.${basename(path)}.airsign-check-${randomBytes(6).toString('hex')}`);
  try {
    await (await open(probe, 'wx')).close();
  } catch {
    throw airsignError('SIGN_RECORD_PATH', `cannot write the record ${path}: its directory does not exist or is not writable`);
  }
  await removePath(probe).catch(() => undefined);
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw airsignError('SIGN_RECORD_PATH', `cannot write the record ${path}: it is a directory`);
  // A link or a device is refused now, before anything is signed, not after.
  await checkOutputTarget(path, `the record ${path}`);
}

/**
 * Writes the record as pretty JSON, atomically (temp file, fsync, rename). A record replacing a
 * file keeps that file's mode; a new one gets the mode of the signed layout's input (`source`), so
 * a record about a 0600 tar is 0600 too.
 */
export async function writeSigningRecord(path: string, record: SigningRecord, platformFs?: PlatformFs, source?: { kind: string; path: string }): Promise<void> {
  const existing = await stat(path).catch(() => undefined);
  const mode = existing?.isFile() === true ? existing.mode & 0o7777 : source === undefined ? undefined : await inputFileMode(source);
  await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`, {
    what: `the record ${path}`,
    ...(mode === undefined ? {} : { mode }),
    ...(platformFs === undefined ? {} : { platformFs }),
  });
}
