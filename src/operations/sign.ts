/**
 * `sign`: picks the image(s) to sign in a layout (tar, stripped tar or directory), signs each by
 * digest with every requested format through ONE KeyBackend (one HSM login), adds the new blobs
 * and index.json entries, writes the layout atomically (one streaming, verifying pass for a full
 * tarball), then the signing record. Every signature is verified by its format before anything is
 * written. Files outside the layout (GPG lookaside
 * signatures) are written just before the layout; a failure after them removes them, so every
 * output of a run is written or none. Also resolves the signed identity (`--identity`, else the image's full name).
 */
import { dirname } from 'node:path';
import type { PlainDescriptor } from '../descriptor.js';
import { airsignError } from '../errors.js';
import type { FormatRegistry } from '../formats/registry.js';
import { normalizeIdentity } from '../formats/docker-reference.js';
import type { ExternalFile, IndexEntryEdit, LayoutReader, SignatureFormatOutput, SignatureFormat, SigningKeyInfo, Timestamper } from '../formats/signature-format.js';
import { outputWriteError } from '../fs/atomic-write.js';
import { removeNumberedFiles, writeNumberedFiles, type WrittenNumberedFiles } from '../fs/numbered-files.js';
import type { KeyBackend } from '../key-backend.js';
import { openKey, type OpenKeyOptions } from '../keys/open-key.js';
import { supersededBlobs } from '../layout/superseded-blobs.js';
import { identitySuggestion, orasCopyCommand } from './sign-identity.js';
import { checkSignOutputs } from './sign-output-checks.js';
import { chooseSignTargets } from './sign-targets.js';
import { addIndexEntries } from '../layout/index-edit.js';
import { checkOutputTarget } from '../fs/output-target.js';
import type { PlatformFs } from '../fs/platform-fs.js';
import { withWriteLock, type RunControlOptions } from '../fs/write-lock.js';
import { walkLayout } from '../layout/graph.js';
import { openLayout } from '../layout/open-layout.js';
import { resolveImage } from '../layout/resolve.js';
import { writeLayout, writeOptionsOf, type WriteLayoutOptions } from '../layout/write-layout.js';
import {
  checkRecordPath,
  createSigningRecord,
  writeSigningRecord,
  type SignatureRecord,
  type SigningRecord,
} from '../signing-record.js';
import type { TsaOptions } from '../timestamp/tsa-client.js';
import { VERSION } from '../version.js';
import { sha256Hex } from '../digest.js';

/** Options of signLayout: the key, the formats, which image(s), and how to write the result. */
export interface SignOptions extends WriteLayoutOptions, RunControlOptions {
  /** A key spec for openKey (`pkcs11:…` or a file path), or an open backend the caller owns (not closed here). */
  key: string | KeyBackend;
  /** Options for openKey when `key` is a spec (--cert goes here as certificatePath). */
  keyOptions?: OpenKeyOptions;
  /** Format ids (`notation`, `notation-cose`, …): at least one. */
  formats: readonly string[];
  /** Where the format ids are looked up (default: defaultFormatRegistry(), the formats the CLI offers). */
  registry?: FormatRegistry;
  /** Selects the image (tag, registry/repo:tag, digest); without it, the only image. */
  reference?: string;
  /** Also sign every present platform manifest of an index. */
  recursive?: boolean;
  /** With recursive: also sign attestation manifests. */
  includeAttestations?: boolean;
  annotations?: Record<string, string>;
  /** Signing time (default now); truncated to whole seconds. */
  signingTime?: Date;
  expiry?: Date;
  /** RFC 3161 TSA URL. */
  tsaUrl?: string;
  tsaOptions?: TsaOptions;
  /** A timestamper to use instead of the TSA client (tests, embedders). */
  timestamper?: Timestamper;
  /**
   * `--identity`: the registry reference (registry/repo[:tag]) written into cosign and GPG payloads.
   * Required by those formats (IDENTITY_REQUIRED without it): never taken from the layout.
   */
  identity?: string;
  /** Write the signing record here (temp + rename). */
  recordPath?: string;
  /**
   * Other files the caller read for this run (the CLI's --tsa-root-cert): neither --output nor the
   * record may replace one.
   */
  otherInputs?: ReadonlyArray<{ path: string; what: string }>;
  /**
   * Directories this run writes into besides the layout (the GPG lookaside, where it adds
   * signature-N files): neither --output nor the record may be inside one.
   */
  outputDirectories?: ReadonlyArray<{ path: string; what: string }>;
}

export interface SignResult {
  record: SigningRecord;
  /** Where the signed layout is. */
  output: string;
  /** Index entries added or replaced. */
  added: number;
  /** The normalized identity signed into cosign/GPG payloads (always the option's). */
  identity?: { reference: string; source: 'option' };
  /**
   * Tags oras cp -r does not carry (cosign `.sig`), each with the exact `oras cp` command that
   * copies it to the identity's repository.
   */
  detachedCopies: Array<{ tag: string; command: string }>;
}

/**
 * Signs the image `options.reference` selects (or the only one) in `source` (a layout tar, a
 * stripped tar or a layout directory; not stdin) with every format in `options.formats`, through
 * one key, and writes the layout with the new signatures (default: replaces `source` atomically;
 * a directory is updated in place). Returns the signing record.
 */
export async function signLayout(source: string, options: SignOptions): Promise<SignResult> {
  // The default formats' code is loaded only when no registry is given (the CLI passes its own).
  const formats = (options.registry ?? (await import('../formats/default-formats.js')).defaultFormatRegistry()).select(options.formats);
  const signingTime = new Date(Math.floor((options.signingTime ?? new Date()).getTime() / 1000) * 1000);
  if (options.expiry !== undefined && options.expiry.getTime() <= signingTime.getTime()) {
    throw airsignError('SIGN_BAD_EXPIRY', 'options.expiry is not after the signing time', { details: { option: 'expiry', value: options.expiry.toISOString() } });
  }
  for (const format of formats) format.checkAnnotations?.(options.annotations ?? {});
  if (source === '-' || source === '') {
    throw airsignError('SIGN_STDIN', 'sign reads a layout tar file or directory, not stdin');
  }
  // The TSA client (HTTP, CMS/TSP parsing) loads only when a TSA is named.
  const timestamper =
    options.timestamper ??
    (options.tsaUrl === undefined ? undefined : (await import('../timestamp/tsa-client.js')).createTsaTimestamper(options.tsaUrl, options.tsaOptions));
  if (options.recordPath !== undefined) await checkRecordPath(options.recordPath);
  if (options.output !== undefined) await checkOutputTarget(options.output);
  await checkSignOutputs(source, options);
  const givenIdentity = options.identity === undefined ? undefined : normalizeIdentity(options.identity);
  const needing = formats.filter((f) => f.needsIdentity).map((f) => f.id);
  if (needing.length > 0 && givenIdentity === undefined) await refuseWithoutIdentity(source, options, needing);
  for (const format of formats) await format.preflight?.();

  // The lock is held from before the layout is read until it is replaced: a second run on the same
  // tar waits and then signs the tar that already carries the first run's signature.
  return withWriteLock({ source, output: options.output, lockWaitMs: options.lockWaitMs, onLockWait: options.onLockWait, signal: options.signal, platformFs: options.platformFs }, async (guard) => {
    const layout = await openLayout(source, options.progress === undefined ? {} : { progress: options.progress });
    try {
      const { targets, notes } = await chooseSignTargets(layout, options);
      const identity = givenIdentity === undefined ? undefined : { reference: givenIdentity, source: 'option' as const };

      const ownsKey = typeof options.key === 'string';
      const backend = typeof options.key === 'string' ? await openKey(options.key, options.keyOptions) : options.key;
      let signed: SignedOutputs;
      let signatures: SignatureRecord[];
      try {
        const keyInfo = await describeKey(backend);
        for (const format of formats) await format.check(keyInfo, { signingTime });
        const existing = await signaturesBySameKey(layout, targets, formats, keyInfo.publicKeyFingerprint);
        signed = await signAll(formats, targets, keyInfo, {
          annotations: options.annotations ?? {},
          signingTime,
          ...(options.expiry === undefined ? {} : { expiry: options.expiry }),
          ...(timestamper === undefined ? {} : { timestamper }),
          ...(options.reference === undefined ? {} : { reference: options.reference }),
          ...(identity === undefined ? {} : { identity: identity.reference }),
          layout: layoutReader(layout),
        });
        signatures = signed.records.map((r) => {
          const already = existing.get(`${r.format} ${r.signedDescriptor.digest}`);
          return already === undefined ? r : { ...r, existingSignatures: already };
        });
      } finally {
        if (ownsKey) await backend.close();
      }
      const { blobs, entries, edits, replaced, detachedTags, externalFiles } = signed;

      const indexBytes = addIndexEntries(layout.indexBytes, entries, {
        replaceTags: true,
        setAnnotations: edits.map((e) => ({ digest: e.digest, annotations: e.setAnnotations })),
      });
      const dropBlobs = await supersededBlobs(layout, indexBytes, replaced);
      const external = await writeExternalFiles(externalFiles, options.platformFs);
      try {
        // Only files outside the layout (GPG alone) and no --output: the layout stays as it is.
        if (entries.length > 0 || blobs.length > 0 || options.output !== undefined) {
          await writeLayout(layout, { addBlobs: blobs.map((bytes) => ({ bytes })), indexBytes, dropBlobs }, { ...writeOptionsOf(options), beforeReplace: () => guard.checkUnchanged() });
        }
      } catch (error) {
        await removeNumberedFiles(external, options.platformFs);
        throw error;
      }
      const record = createSigningRecord({
        key: backend.description,
        ...(options.reference === undefined ? {} : { reference: options.reference }),
        ...(identity !== undefined && signatures.some((sig) => sig.identity !== undefined) ? { identity: identity.reference } : {}),
        signatures,
        notes,
      });
      if (options.recordPath !== undefined) await writeSigningRecord(options.recordPath, record, options.platformFs, layout.source);
      const output = options.output ?? source;
      return {
        record,
        output,
        added: entries.length,
        ...(identity === undefined ? {} : { identity }),
        detachedCopies: [...new Set(detachedTags)].map((tag) => ({ tag, command: orasCopyCommand(output, tag, identity?.reference) })),
      };
    } finally {
      await layout.close();
    }
  });
}

type LayoutLike = Awaited<ReturnType<typeof openLayout>>;

/**
 * cosign and GPG sign the name the image will be pulled as, and only the operator knows it: a name
 * inside the layout was written by the build side. Throws IDENTITY_REQUIRED, naming the image's own
 * full name in the layout (when it has one) as a suggestion; nothing has been written.
 */
async function refuseWithoutIdentity(source: string, options: SignOptions, needing: readonly string[]): Promise<never> {
  let suggestion: string | undefined;
  try {
    const layout = await openLayout(source);
    try {
      suggestion = identitySuggestion((await resolveImage(layout, options.reference)).descriptor);
    } finally {
      await layout.close();
    }
  } catch {
    // No layout or no image to name: the error still says what to give.
  }
  throw airsignError('IDENTITY_REQUIRED',
    `options.formats ${needing.join(', ')} signs the registry reference the image will be pulled as: give options.identity registry/repo[:tag]${suggestion === undefined ? '' : ` (the layout names this image ${suggestion}; pass options.identity ${suggestion} if it will be pulled as that)`}`,
    { details: { option: 'identity', formats: needing, ...(suggestion === undefined ? {} : { suggestion }) } });
}

/** Writes the formats' files outside the layout (all or none) and puts each path in its record. */
async function writeExternalFiles(files: readonly ExternalFile[], platformFs: PlatformFs | undefined): Promise<WrittenNumberedFiles> {
  let written: WrittenNumberedFiles;
  try {
    written = await writeNumberedFiles(files, platformFs === undefined ? {} : { platformFs });
  } catch (error) {
    // Name the directory the failing call touched (errno errors carry the path), else the first.
    const failed = (error as NodeJS.ErrnoException).path;
    throw outputWriteError(failed === undefined ? files[0]!.directory : dirname(failed), error);
  }
  files.forEach((file, i) => {
    file.record.file = written.files[i]!;
  });
  return written;
}

/**
 * Signature manifests already in the layout, per "<format id> <subject digest>", that are valid
 * signatures of one of `formats` over one of `targets` by the key with this SPKI fingerprint.
 */
async function signaturesBySameKey(
  layout: LayoutLike,
  targets: readonly PlainDescriptor[],
  formats: readonly SignatureFormat[],
  fingerprint: string,
): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  if (!formats.some((f) => f.signerOf !== undefined)) return found;
  const graph = await walkLayout(layout);
  for (const subject of targets) {
    for (const digest of graph.referrers.get(subject.digest) ?? []) {
      const node = graph.nodes.get(digest);
      if (node === undefined || !node.present || node.error !== undefined) continue;
      const manifestBytes = await layout.readBlob(node.descriptor);
      for (const format of formats) {
        const signer = await format.signerOf?.({ manifestBytes, subject, readBlob: (d) => layout.readBlob(d) });
        if (signer !== fingerprint) continue;
        const key = `${format.id} ${subject.digest}`;
        found.set(key, [...(found.get(key) ?? []), digest]);
      }
    }
  }
  return found;
}

function layoutReader(layout: LayoutLike): LayoutReader {
  return { index: layout.index, hasBlob: (digest) => layout.hasBlob(digest), readBlob: (desc) => layout.readBlob(desc) };
}


async function describeKey(backend: KeyBackend): Promise<SigningKeyInfo> {
  const spki = await backend.publicKeySpki();
  const chain = await backend.certificateChain();
  return {
    backend,
    chain,
    spki,
    publicKeyFingerprint: sha256Hex(spki),
    certificateThumbprints: chain.map((der) => sha256Hex(der)),
  };
}

/** Everything the formats produced for one run, gathered before anything is written. */
interface SignedOutputs {
  records: SignatureRecord[];
  blobs: Uint8Array[];
  entries: SignatureFormatOutput['indexEntries'];
  edits: IndexEntryEdit[];
  detachedTags: string[];
  replaced: string[];
  externalFiles: ExternalFile[];
}

async function signAll(
  formats: readonly SignatureFormat[],
  targets: readonly PlainDescriptor[],
  key: SigningKeyInfo,
  common: {
    annotations: Record<string, string>;
    signingTime: Date;
    expiry?: Date;
    timestamper?: Timestamper;
    reference?: string;
    identity?: string;
    layout: LayoutReader;
  },
): Promise<SignedOutputs> {
  const records: SignatureRecord[] = [];
  const blobs: Uint8Array[] = [];
  const entries: SignatureFormatOutput['indexEntries'] = [];
  const edits: IndexEntryEdit[] = [];
  const detachedTags: string[] = [];
  const replaced: string[] = [];
  const externalFiles: ExternalFile[] = [];
  for (const [i, subject] of targets.entries()) {
    for (const format of formats) {
      const out = await format.sign({ key, subject, signingAgent: `airsign/${VERSION}`, isTopLevel: i === 0, ...common });
      blobs.push(...out.blobs);
      entries.push(...out.indexEntries);
      edits.push(...(out.indexEdits ?? []));
      detachedTags.push(...(out.detachedTags ?? []));
      replaced.push(...(out.replacedManifests ?? []));
      records.push(...out.records);
      externalFiles.push(...(out.externalFiles ?? []));
    }
  }
  return { records, blobs, entries, edits, detachedTags, replaced, externalFiles };
}
