/**
 * `sign`: picks the image(s) to sign in a layout (tar, stripped tar or directory), signs each by
 * digest with every requested format through ONE KeyBackend (one HSM login), adds the new blobs
 * and untagged index.json entries, writes the layout atomically (one streaming, verifying pass
 * for a full tarball), then the signing record.
 */
import type { PlainDescriptor } from '../descriptor.js';
import { plainDescriptor } from '../descriptor.js';
import { airsignError } from '../errors.js';
import { defaultFormatRegistry } from '../formats/default-formats.js';
import type { FormatRegistry } from '../formats/registry.js';
import type { SignatureFormat, SigningKeyInfo, Timestamper } from '../formats/signature-format.js';
import type { KeyBackend } from '../key-backend.js';
import { openKey, type OpenKeyOptions } from '../keys/open-key.js';
import { addIndexEntries } from '../layout/index-edit.js';
import { checkOutputTarget } from '../fs/output-target.js';
import { withWriteLock, type RunControlOptions } from '../fs/write-lock.js';
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
  notationManifest?: 'legacy' | 'oci-1.1';
  /** Write the signing record here (temp + rename). */
  recordPath?: string;
}

export interface SignResult {
  record: SigningRecord;
  /** Where the signed layout is. */
  output: string;
  /** Index entries added (one per signature). */
  added: number;
}

/**
 * Signs the image `options.reference` selects (or the only one) in `source` (a layout tar, a
 * stripped tar or a layout directory; not stdin) with every format in `options.formats`, through
 * one key, and writes the layout with the new signatures (default: replaces `source` atomically;
 * a directory is updated in place). Returns the signing record.
 */
export async function signLayout(source: string, options: SignOptions): Promise<SignResult> {
  const formats = (options.registry ?? defaultFormatRegistry()).select(options.formats);
  const signingTime = new Date(Math.floor((options.signingTime ?? new Date()).getTime() / 1000) * 1000);
  if (options.expiry !== undefined && options.expiry.getTime() <= signingTime.getTime()) {
    throw airsignError('SIGN_BAD_EXPIRY', 'the expiry is not after the signing time');
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

  // The lock is held from before the layout is read until it is replaced: a second run on the same
  // tar waits and then signs the tar that already carries the first run's signature.
  return withWriteLock({ source, output: options.output, lockWaitMs: options.lockWaitMs, onLockWait: options.onLockWait, signal: options.signal }, async (guard) => {
    const layout = await openLayout(source, options.progress === undefined ? {} : { progress: options.progress });
    try {
      const { targets, notes } = await chooseTargets(layout, options);

      const ownsKey = typeof options.key === 'string';
      const backend = typeof options.key === 'string' ? await openKey(options.key, options.keyOptions) : options.key;
      let signatures: SignatureRecord[] = [];
      const blobs: Uint8Array[] = [];
      const entries = [];
      try {
        const keyInfo = await describeKey(backend);
        for (const format of formats) await format.check(keyInfo, { signingTime });
        const result = await signAll(formats, targets, keyInfo, {
          annotations: options.annotations ?? {},
          signingTime,
          ...(options.expiry === undefined ? {} : { expiry: options.expiry }),
          ...(timestamper === undefined ? {} : { timestamper }),
          notationManifest: options.notationManifest ?? 'legacy',
          ...(options.reference === undefined ? {} : { reference: options.reference }),
        });
        signatures = result.records;
        blobs.push(...result.blobs);
        entries.push(...result.entries);
      } finally {
        if (ownsKey) await backend.close();
      }

      const indexBytes = addIndexEntries(layout.indexBytes, entries);
      await writeLayout(layout, { addBlobs: blobs.map((bytes) => ({ bytes })), indexBytes }, { ...writeOptionsOf(options), beforeReplace: () => guard.checkUnchanged() });
      const record = createSigningRecord({
        key: backend.description,
        ...(options.reference === undefined ? {} : { reference: options.reference }),
        signatures,
        notes,
      });
      if (options.recordPath !== undefined) await writeSigningRecord(options.recordPath, record);
      return { record, output: options.output ?? source, added: entries.length };
    } finally {
      await layout.close();
    }
  });
}

type LayoutLike = Awaited<ReturnType<typeof openLayout>>;

/** The image --reference selects (or the only one), plus its platform manifests with --recursive. */
async function chooseTargets(layout: LayoutLike, options: SignOptions): Promise<{ targets: PlainDescriptor[]; notes: string[] }> {
  const image = await resolveImage(layout, options.reference);
  const targets: PlainDescriptor[] = [plainDescriptor(image.plain)];
  const notes: string[] = [];
  if (options.recursive) {
    if (image.kind !== 'index') {
      notes.push(`--recursive: ${image.plain.digest} is a single manifest, nothing more to sign`);
    }
    for (const child of image.children ?? []) {
      const plain = plainDescriptor(child.descriptor);
      if (child.isAttestation && !options.includeAttestations) continue;
      if (!child.present) {
        const platform = child.descriptor.platform;
        const name = platform === undefined ? plain.digest : `${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''} (${plain.digest})`;
        notes.push(`skipped ${name}: its manifest is not in the layout`);
        continue;
      }
      if (!targets.some((t) => t.digest === plain.digest)) targets.push(plain);
    }
  }
  return { targets, notes };
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

async function signAll(
  formats: readonly SignatureFormat[],
  targets: readonly PlainDescriptor[],
  key: SigningKeyInfo,
  common: {
    annotations: Record<string, string>;
    signingTime: Date;
    expiry?: Date;
    timestamper?: Timestamper;
    notationManifest: 'legacy' | 'oci-1.1';
    reference?: string;
  },
) {
  const records: SignatureRecord[] = [];
  const blobs: Uint8Array[] = [];
  const entries = [];
  for (const subject of targets) {
    for (const format of formats) {
      const out = await format.sign({ key, subject, signingAgent: `airsign/${VERSION}`, ...common });
      blobs.push(...out.blobs);
      entries.push(...out.indexEntries);
      records.push(...out.records);
    }
  }
  return { records, blobs, entries };
}
