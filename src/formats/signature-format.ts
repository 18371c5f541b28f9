/**
 * The seam between the `sign` operation and a signature format (Notation JWS/COSE, GPG simple
 * signing; cosign later). A format turns one signed descriptor into new blobs, new index.json
 * entries, files outside the layout (GPG's lookaside signatures) and record entries; it never
 * writes anything or opens keys itself — the `sign` operation writes every output of a run, or none.
 */
import type { Descriptor, PlainDescriptor } from '../descriptor.js';
import type { HashAlgorithm, KeyBackend } from '../key-backend.js';
import type { SignatureRecord } from '../signing-record.js';

/** RFC 3161 hook: returns a TimeStampToken DER over `signature` hashed with `hash`. */
export type Timestamper = (signature: Uint8Array, hash: HashAlgorithm) => Promise<Uint8Array>;

/** Facts about the signing key, computed once per run. */
export interface SigningKeyInfo {
  backend: KeyBackend;
  /** X.509 chain, leaf first, DER (from --cert or the key's certificate objects); may be empty. */
  chain: Uint8Array[];
  spki: Uint8Array;
  /** sha256 of the SPKI DER, lowercase hex. */
  publicKeyFingerprint: string;
  /** sha256 of each certificate DER, lowercase hex, chain order. */
  certificateThumbprints: string[];
}

/** Everything a format needs to sign one target. */
export interface SignContext {
  key: SigningKeyInfo;
  /** The signed manifest or index: mediaType, digest, size only. */
  subject: PlainDescriptor;
  /** User annotations (`--annotation k=v`). */
  annotations: Record<string, string>;
  /** Whole seconds. */
  signingTime: Date;
  expiry?: Date;
  /** e.g. "airsign/0.1.0". */
  signingAgent: string;
  timestamper?: Timestamper;
  /** Notation signature-manifest shape (default legacy: what notation v1.3 reads from layouts). */
  notationManifest: 'legacy' | 'oci-1.1';
  /** The --reference the user gave, for records. */
  reference?: string;
  /**
   * The registry reference the image will be pulled as (`--identity`), written into GPG (and
   * cosign) payloads as `docker-reference`. Notation ignores it.
   */
  identity?: string;
}

/**
 * A file a format writes outside the layout (GPG's lookaside `signature-N`). The sign operation
 * writes it as `<directory>/<stem>-<N>` with N the first free number, and sets `record.file`.
 */
export interface ExternalFile {
  directory: string;
  stem: string;
  bytes: Uint8Array;
  /** The record of the signature this file holds (one of the output's records). */
  record: SignatureRecord;
}

export interface SignatureFormatOutput {
  /** New blobs (envelopes, configs, signature manifests); the writer computes digests. */
  blobs: Uint8Array[];
  /** New index.json entries (untagged: no ref.name) so oras-go finds them as referrers. */
  indexEntries: Descriptor[];
  records: SignatureRecord[];
  /** Files written outside the layout, after signing and before the layout. */
  externalFiles?: ExternalFile[];
}

export interface SignatureFormat {
  /** The `--format` value, e.g. "notation". */
  readonly id: string;
  /** One line for `--help`. */
  readonly describe: string;
  /** True when the format writes the signed identity (cosign, GPG): sign refuses to run without one. */
  readonly needsIdentity?: boolean;
  /**
   * Refuses keys/certificates this format cannot use (e.g. Ed25519 for Notation), before
   * anything is signed; `run.signingTime` is the time every signature of the run will carry.
   * Called once per run: what it checks need not be checked again per signature. Throws
   * AirsignError (kind 'key').
   */
  check(key: SigningKeyInfo, run?: { signingTime?: Date }): Promise<void>;
  /** Refuses user annotations this format reserves, before any key is opened (kind 'input'). */
  checkAnnotations?(annotations: Record<string, string>): void;
  /**
   * Refuses missing or bad options of the format and unusable output places (input errors),
   * before the layout is opened or the key is touched. Optional.
   */
  preflight?(): Promise<void>;
  sign(context: SignContext): Promise<SignatureFormatOutput>;
}
