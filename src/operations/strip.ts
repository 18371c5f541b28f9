/**
 * `strip`: moves every layer blob of one image into a directory (one verified file per blob) and
 * leaves a metadata-only layout (oci-layout, index.json, manifests, configs, attestations,
 * signatures). index.json is not changed. A strip record in the directory tells `repack` what to
 * put back.
 */
import { lstat, mkdir, rmdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { plainDescriptor, type Descriptor, type PlainDescriptor } from '../descriptor.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { fsErrorText } from '../fs/fs-error-text.js';
import { removePath } from '../fs/platform-fs.js';
import { withWriteLock, type RunControlOptions, type WriteGuard } from '../fs/write-lock.js';
import { digestOf } from '../digest.js';
import { airsignError } from '../errors.js';
import { reachableNodes, walkLayout, type LayoutGraph } from '../layout/graph.js';
import { withLayout, type Layout, type OpenLayoutOptions } from '../layout/open-layout.js';
import { resolveImage } from '../layout/resolve.js';
import {
  encodeStripRecord,
  readStripRecord,
  refuseOutputInAnyStripDirectory,
  refuseOutputInStripDirectory,
  refuseStripDirectoryOverlap,
  stripRecordPath,
  STRIP_RECORD_TYPE,
  type StripRecord,
} from '../layout/strip-directory.js';
import { refuseOutputInsideDirectoryInput } from '../fs/distinct-files.js';
import { writeLayout, writeOptionsOf, type WriteLayoutOptions } from '../layout/write-layout.js';

/** Options of stripLayout: where the layers go, which image, how to write the result, interrupts and concurrent runs. */
export interface StripOptions extends WriteLayoutOptions, OpenLayoutOptions, RunControlOptions {
  /** Directory receiving one file per layer blob (`<alg>/<hex>`) and the strip record. */
  directory: string;
  /** The image to strip when the layout holds several (tag, name or digest); recorded for repack. */
  reference?: string;
}

export interface StripResult {
  input: string;
  output: string;
  directory: string;
  image: PlainDescriptor;
  reference: string | null;
  stripped: PlainDescriptor[];
  strippedBytes: number;
  outputBytes: number;
}

/**
 * The layer blobs of the image rooted at `root`: present ones to strip. Throws LAYOUT_STRIPPED when
 * every layer is already gone, LAYOUT_MISSING_BLOB when a present manifest lacks some layers or its
 * config, LAYOUT_BAD_MANIFEST when a manifest in the image cannot be read.
 */
function layersOf(graph: LayoutGraph, root: string, what: string): { present: PlainDescriptor[]; missing: PlainDescriptor[] } {
  const present = new Map<string, PlainDescriptor>();
  const missing = new Map<string, PlainDescriptor>();
  for (const n of reachableNodes(graph, root)) {
    const digest = n.descriptor.digest;
    if (n.error !== undefined) throw airsignError('LAYOUT_BAD_MANIFEST', `${what}: manifest ${digest} is unreadable: ${n.error}`);
    if (n.role === 'config' && !n.present) {
      throw airsignError('LAYOUT_MISSING_BLOB', `${what}: config ${digest} of a manifest is missing`, { details: { digest } });
    }
    if (n.role === 'layer') {
      if (n.present) present.set(digest, plainDescriptor(n.descriptor));
      else if (!isForeign(n.descriptor)) missing.set(digest, plainDescriptor(n.descriptor));
    }
  }
  return { present: [...present.values()], missing: [...missing.values()] };
}

/** Windows foreign layers (and any layer with `urls`) live elsewhere by design; their absence is normal. */
function isForeign(d: Descriptor): boolean {
  return (d.urls !== undefined && d.urls.length > 0) || d.mediaType.includes('.foreign.');
}

/**
 * Strips an open layout. Callers that replace the input in place should hold its lock (stripLayout
 * does) and pass the guard, so a concurrent change is refused rather than lost.
 */
async function stripOpenLayout(layout: Layout, options: StripOptions, guard?: WriteGuard): Promise<StripResult> {
  await checkStripPaths(layout.source.path, layout.source.kind === 'directory', options);
  const image = await resolveImage(layout, options.reference);
  const graph = await walkLayout(layout);
  const what = layout.source.path;
  const { present, missing } = layersOf(graph, image.plain.digest, what);
  if (present.length === 0 && missing.length > 0) {
    throw airsignError('LAYOUT_STRIPPED', `${what} is already stripped (its ${missing.length} layer blobs are missing); run repack first`);
  }
  if (missing.length > 0) {
    throw airsignError('LAYOUT_MISSING_BLOB', `${what}: ${missing.length} layer blob(s) of ${image.plain.digest} are missing, e.g. ${missing[0]!.digest}`, {
      details: { digest: missing[0]!.digest, missing: missing.map((m) => m.digest) },
    });
  }
  const directory = options.directory;
  let madeDirectory: string | undefined;
  try {
    madeDirectory = await mkdir(directory, { recursive: true });
  } catch (error) {
    throw airsignError('STRIP_DIR_UNUSABLE', `cannot create directory ${directory}: ${fsErrorText(error)}`, { cause: error });
  }
  const recordPath = stripRecordPath(directory);
  let hadRecord = false;
  try {
    hadRecord = await lstat(recordPath).then(() => true, () => false);
    if (hadRecord) {
      const existing = await readStripRecord(directory);
      if (existing.image.digest !== image.plain.digest) {
        throw airsignError('STRIP_DIR_IN_USE', `${directory} already holds layers stripped from another image (${existing.image.digest}); use an empty directory`);
      }
    }
    const record: StripRecord = {
      type: STRIP_RECORD_TYPE,
      ...(options.reference === undefined ? {} : { reference: options.reference }),
      image: image.plain,
      indexDigest: digestOf(layout.indexBytes),
      blobs: present.sort((a, b) => (a.digest < b.digest ? -1 : 1)),
    };
    const written = await writeLayout(
      layout,
      { stripBlobsTo: { directory, digests: new Set(present.map((p) => p.digest)) } },
      {
        ...writeOptionsOf(options),
        // The record is written only once every layer file is complete, and before the stripped
        // tar replaces anything: a record always describes files that are all there.
        beforeReplace: async () => {
          await guard?.checkUnchanged();
          await writeFileAtomic(recordPath, encodeStripRecord(record), {
            beforeRename: async () => options.signal?.throwIfAborted(),
            ...(options.platformFs === undefined ? {} : { platformFs: options.platformFs }),
          });
        },
      },
    );
    return {
      input: layout.source.path,
      output: written.output,
      directory,
      image: image.plain,
      reference: options.reference ?? null,
      stripped: record.blobs,
      strippedBytes: record.blobs.reduce((n, b) => n + b.size, 0),
      outputBytes: written.bytes,
    };
  } catch (error) {
    if (!hadRecord) await removePath(recordPath, options.platformFs).catch(() => {});
    // A refused strip leaves no directory it created (only empty <alg>/ folders are left by then).
    if (madeDirectory !== undefined) await removePath(madeDirectory, options.platformFs, { recursive: true }).catch(() => {});
    throw error;
  }
}

/**
 * Moves every layer blob of one image of `source` (a layout tar, .tar.gz, directory, or `-` with
 * the `stdin` option) into `options.directory`, verified, and writes a metadata-only layout
 * (default: replaces `source` atomically). index.json is unchanged; repackLayout puts the layers back.
 */
export async function stripLayout(source: string, options: StripOptions): Promise<StripResult> {
  if (source !== '-') await checkStripPaths(source, (await stat(source).catch(() => undefined))?.isDirectory() === true, options);
  // The directory's lock file sits in its parent folder: make that first (a new a/b/layers), and
  // take it away again if the strip is refused.
  const parent = dirname(resolve(options.directory));
  let madeParent: string | undefined;
  try {
    madeParent = await mkdir(parent, { recursive: true });
  } catch (error) {
    throw airsignError('STRIP_DIR_UNUSABLE', `cannot create directory ${dirname(options.directory)}: ${fsErrorText(error)}`, { cause: error });
  }
  try {
    return await lockAndStrip(source, options);
  } catch (error) {
    if (madeParent !== undefined) await removeEmptyFolders(parent, dirname(madeParent));
    throw error;
  }
}

/**
 * Before anything is made: the strip directory must not overlap the layout (strip would remove the
 * layer files it writes), and --output must not land in the strip directory, in another one, or in
 * the layout directory it reads.
 */
async function checkStripPaths(source: string, sourceIsDirectory: boolean, options: StripOptions): Promise<void> {
  if (source !== '-') await refuseStripDirectoryOverlap(source, options.directory, sourceIsDirectory);
  await refuseOutputInStripDirectory(options.output, options.directory);
  await refuseOutputInAnyStripDirectory(options.output);
  await refuseOutputInsideDirectoryInput(options.output, source);
}

/** Removes `from` and its parents while they are empty, stopping at `stop`. */
async function removeEmptyFolders(from: string, stop: string): Promise<void> {
  for (let folder = from; folder !== stop && folder !== dirname(folder); folder = dirname(folder)) {
    try {
      await rmdir(folder);
    } catch {
      return;
    }
  }
}

function lockAndStrip(source: string, options: StripOptions): Promise<StripResult> {
  return withWriteLock({ source, output: options.output, alsoLock: [resolve(options.directory)], lockWaitMs: options.lockWaitMs, onLockWait: options.onLockWait, signal: options.signal, platformFs: options.platformFs }, (guard) =>
    withLayout(source, options, (layout) => stripOpenLayout(layout, options, guard)),
  );
}
