/**
 * The seam between the `sign` operation and a signature format (Notation JWS/COSE, cosign `.sig`
 * and bundle; GPG simple signing); `verification` is the format's part of `verify`. A format is created with its own options, turns one signed
 * descriptor into new blobs, index.json changes and record entries, may READ the layout (cosign
 * appends to an existing `.sig` manifest), verifies every signature it made before returning,
 * may add files outside the layout
 * (GPG's lookaside signatures), and never writes anything or opens keys itself: the `sign`
 * operation writes every output of a run, or none.
 */
import type { Descriptor, PlainDescriptor } from '../descriptor.js';
import type { ImageIndex } from '../layout/image-index.js';
import type { HashAlgorithm, KeyBackend } from '../key-backend.js';
import type { SignatureRecord } from '../signing-record.js';
import type { FormatVerification } from './signature-verification.js';

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
  /** The --reference the user gave, for records. */
  reference?: string;
  /**
   * The registry reference the image will be pulled as (`--identity`, else the image's full
   * `io.containerd.image.name`), normalized; written into cosign and GPG payloads. Formats that
   * need it and find it missing throw IDENTITY_REQUIRED (sign checks that before signing).
   */
  identity?: string;
  /** The layout being signed, read-only, as it was before this run (nothing is written yet). */
  layout: LayoutReader;
  /** True for the image --reference picked (not a platform manifest reached with --recursive). */
  isTopLevel: boolean;
}

/** What a format may read of the layout it signs into. */
export interface LayoutReader {
  readonly index: ImageIndex;
  hasBlob(digest: string): boolean;
  /** Reads a small blob fully, verifying size and digest. */
  readBlob(desc: PlainDescriptor): Promise<Uint8Array>;
}

/** Changes to index.json entries that already exist (matched by digest). */
export interface IndexEntryEdit {
  digest: string;
  /** Annotations set on every existing entry with that digest (e.g. cosign's `kind`). */
  setAnnotations: Record<string, string>;
}

export interface SignatureFormatOutput {
  /** New blobs (envelopes, configs, signature manifests); the writer computes digests. */
  blobs: Uint8Array[];
  /**
   * New index.json entries: untagged referrers (oras-go finds them through `subject`) or tagged
   * ones (cosign `sha256-<hex>.sig`); an entry whose ref.name an existing entry has replaces it.
   */
  indexEntries: Descriptor[];
  /** Annotations to add to existing entries. */
  indexEdits?: IndexEntryEdit[];
  /**
   * Manifests this output supersedes (a `.sig` manifest rebuilt with one more layer): sign drops
   * them, and what only they referenced, from the layout.
   */
  replacedManifests?: string[];
  records: SignatureRecord[];
  /** Files written outside the layout, after signing and before the layout. */
  externalFiles?: ExternalFile[];
  /**
   * Tags this output adds to index.json that `oras cp -r` does not carry (no `subject`, e.g.
   * cosign's `sha256-<hex>.sig`): each needs its own `oras cp`, which sign reports.
   */
  detachedTags?: string[];
}

/** A signature manifest already in the layout whose subject is the image about to be signed. */
export interface ExistingSignature {
  /** The signature manifest's raw bytes. */
  manifestBytes: Uint8Array;
  /** The image it names as subject (the one about to be signed). */
  subject: PlainDescriptor;
  /** Reads a blob of the layout (digest and size verified). */
  readBlob(descriptor: PlainDescriptor): Promise<Uint8Array>;
}

export interface SignatureFormat {
  /** The `--format` value, e.g. "notation". */
  readonly id: string;
  /** One line for `--help`. */
  readonly describe: string;
  /**
   * How `verify` finds and checks this format's signatures (src/formats/signature-verification.ts);
   * a format without it is only signed.
   */
  readonly verification?: FormatVerification;
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
  /**
   * When `existing` is a valid signature of this format over its subject: the sha256 fingerprint
   * (lowercase hex) of its signer's SubjectPublicKeyInfo; else undefined (never throws). sign uses
   * it to say that an image was already signed in this format by the same key (it still signs).
   */
  signerOf?(existing: ExistingSignature): Promise<string | undefined>;
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
