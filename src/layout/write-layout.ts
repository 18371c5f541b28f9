/**
 * The one layout writer every command (strip, repack, sign) uses. One pass over the input: every
 * blob is streamed with its digest and size verified, into a plain ustar tar in buildx's shape
 * (entries sorted by name: blobs/, blobs/<alg>/, blobs, index.json, extra files such as
 * manifest.json, oci-layout; modes 0755/0444/0644; uid/gid 0; mtime 0).
 * The tar goes to a temporary file next to the target, is fsynced and renamed into place; on any
 * failure or cancellation (options.signal) the temp file (and any blob file this call created) is
 * removed and the input is untouched. Temp files are named and tracked by fs/temp-files.ts, so a
 * process killed outright leaves files the next run in the same place removes.
 * Replacing the input in place writes the file a symbolic link points to, never the link.
 * A directory layout without --output is updated in place: blobs temp+rename, then index.json.
 * A layer file that strip finds already in its directory with the right size and content is kept,
 * not rewritten (a second strip into the same directory writes no layer again).
 * Windows (options.platformFs.platform, default this process's): the input is closed before the
 * rename that replaces anything (Windows cannot replace a file that is open), and every rename and
 * removal goes through rename-into-place.ts / platform-fs.ts (read-only attribute, retries).
 */
import { chmod, lstat, mkdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { PlainDescriptor } from '../descriptor.js';
import { digestOf, parseDigest } from '../digest.js';
import { airsignError, isAirsignError } from '../errors.js';
import type { Progress } from '../progress.js';
import { openRandomAccess } from '../tar/random-access.js';
import { TarWriter } from '../tar/tar-writer.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { fsErrorText, isDiskFull } from '../fs/fs-error-text.js';
import { checkOutputTarget } from '../fs/output-target.js';
import { NODE_FS, removePath, type PlatformFs } from '../fs/platform-fs.js';
import { renameIntoPlace, WIN32_RENAME_DELAYS_MS } from '../fs/rename-into-place.js';
import { sweepStaleTemps, temporarySiblingPath, trackTemporary } from '../fs/temp-files.js';
import { forEachConcurrently, TaskLimit } from '../concurrency.js';
import { OutputFile } from '../fs/output-file.js';
import { inputFileMode } from '../fs/input-mode.js';
import { COPY_CHUNK, copyVerified, type CopySource } from './blob-copy.js';
import { hashFileRange } from './blob-hash.js';
import { directoryBlobPath, MAX_INDEX_BYTES, type ByteRange, type Layout } from './open-layout.js';
import { assertAlgorithmFolder, strippedBlobPath } from './strip-directory.js';

export interface LayoutChanges {
  /** Small new blobs (envelopes, signature manifests); the digest (sha256) is computed here. */
  addBlobs?: Array<{ bytes: Uint8Array }>;
  /** Replacement index.json bytes. */
  indexBytes?: Uint8Array;
  /**
   * Blobs nothing references any more (a replaced cosign `.sig` manifest and its config): left out
   * of a tar; removed from a directory after index.json is written.
   */
  dropBlobs?: ReadonlySet<string>;
  /** strip: stream these blobs into `<directory>/<alg>/<encoded>` (verified) and leave them out of the output. */
  stripBlobsTo?: { directory: string; digests: ReadonlySet<string> };
  /** repack: verify `<directory>/<alg>/<encoded>` against `expected` and insert those the layout lacks. */
  insertBlobsFrom?: { directory: string; expected: ReadonlyMap<string, PlainDescriptor> };
}

export interface WriteLayoutOptions {
  /** Output tar path; default: replace the input tar (or update a directory layout) atomically. */
  output?: string;
  progress?: Progress;
  /** Cancels the write: the promise rejects with the signal's reason after removing what it made. */
  signal?: AbortSignal;
  /**
   * Runs once every blob file and the new tar are complete and durable, just before the rename
   * that replaces the target (or, for a directory, before index.json is replaced): the last chance
   * to refuse (e.g. the input changed) or to write what must exist only when the rest does (the
   * strip record). A throw cancels the write.
   */
  beforeReplace?: () => Promise<void>;
  /** Write large files with direct I/O where the file system allows it (default false: through the page cache). */
  directIo?: boolean;
  /**
   * The calls that replace and remove files, and whose platform rules apply (default: node:fs and
   * this process's platform). Tests run the Windows rules on Linux through it.
   */
  platformFs?: PlatformFs;
}

/** The WriteLayoutOptions among an operation's options (so each operation passes on just these). */
export function writeOptionsOf(options: WriteLayoutOptions): WriteLayoutOptions {
  return {
    ...(options.output === undefined ? {} : { output: options.output }),
    ...(options.progress === undefined ? {} : { progress: options.progress }),
    ...(options.directIo === undefined ? {} : { directIo: options.directIo }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.platformFs === undefined ? {} : { platformFs: options.platformFs }),
  };
}

export interface WriteLayoutResult {
  output: string;
  kind: 'tar' | 'directory';
  /** Bytes of the written tar (0 for an in-place directory update). */
  bytes: number;
  /** Blobs in the resulting layout. */
  blobs: number;
  added: string[];
  inserted: string[];
  stripped: string[];
}

const STRIP_CONCURRENCY = 2;
/** Large blobs copied into a tar at once (each hashed by its own worker thread), and the size from which a blob is. */
const CONCURRENT_COPIES = 2;
const CONCURRENT_COPY_MIN = 1024 * 1024;
/**
 * Chunk of each of two concurrent copies: small, so that two copies (three buffers each) and the
 * two hashing threads stay within the memory of one copy (peak RSS of sign with a PKCS#11 module
 * loaded was 101 MiB with 2 MiB chunks); the worker reads 1 MiB pieces anyway.
 */
const CONCURRENT_CHUNK = 1024 * 1024;

const WRITE_ERRNO = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EACCES', 'EPERM', 'EFBIG', 'ENOENT', 'ENOTDIR', 'EISDIR', 'EEXIST', 'EXDEV', 'EBUSY', 'EMFILE', 'ENFILE']);

/** An fs failure while writing, in words, naming the user's path (never a temp name). */
function outputError(error: unknown, target: string): unknown {
  if (isAirsignError(error)) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  if (typeof code === 'string' && WRITE_ERRNO.has(code)) {
    return airsignError('OUTPUT_WRITE_FAILED', `cannot write ${target}: ${fsErrorText(error)}`, { cause: error, details: { path: target, ...(isDiskFull(error) ? { diskFull: true } : {}) } });
  }
  return error;
}

/** Refusals that rename-into-place retried on Windows (EPERM, EACCES, EBUSY) before giving up. */
const REPLACE_REFUSED = new Set(['EPERM', 'EACCES', 'EBUSY']);

/**
 * A tar that Windows would not let us replace: most often another program holds it open (Windows
 * does not replace an open file, whatever the program's share mode), after about 9 s of retries.
 * Says so, that the file is unchanged, and what to do; other failures are left to outputError.
 */
function replaceError(error: unknown, shown: string, fs: PlatformFs, inPlace: boolean): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (fs.platform !== 'win32' || code === undefined || !REPLACE_REFUSED.has(code)) return error;
  const seconds = Math.round(WIN32_RENAME_DELAYS_MS.reduce((a, b) => a + b, 0) / 1000);
  return airsignError(
    'OUTPUT_WRITE_FAILED',
    `cannot replace ${shown}: Windows refused for ${seconds} s (${fsErrorText(error)}), most often because another program has it open; ${shown} is unchanged: close that program and run again${inPlace ? ', or give options.output' : ''}`,
    { cause: error, details: { path: shown, inUse: true } },
  );
}

function blobTarPath(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `blobs/${algorithm}/${hex}`;
}

type BlobPlan =
  | { kind: 'layout'; digest: string; size: number }
  | { kind: 'bytes'; digest: string; bytes: Uint8Array }
  | { kind: 'insert'; digest: string; size: number; path: string; desc: PlainDescriptor };

/** Writes one verified blob file: temp name, verify while copying, fsync, rename. */
async function writeVerifiedFile(
  source: CopySource,
  expected: { digest: string; size: number },
  what: string,
  dest: string,
  o: { progress?: Progress | undefined; chunkSize?: number; signal?: AbortSignal | undefined; directIo?: boolean | undefined; fs: PlatformFs },
): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  const temp = temporarySiblingPath(dest);
  const untrack = trackTemporary(temp);
  try {
    const output = await OutputFile.create(temp, { mode: 0o444, ...(o.directIo === undefined ? {} : { directIo: o.directIo }) });
    try {
      await copyVerified(source, expected, what, (chunk, offset) => output.writeAt(chunk, offset), {
        destinationOffset: 0,
        ...(o.chunkSize === undefined ? {} : { chunkSize: o.chunkSize }),
        ...(o.progress ? { onProgress: (n: number) => o.progress!.advance(n) } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      });
      await output.finish();
      o.signal?.throwIfAborted();
      await renameIntoPlace(temp, dest, o.fs);
    } catch (error) {
      await output.abort();
      await removePath(temp, o.fs).catch(() => {});
      throw error;
    }
  } finally {
    untrack();
  }
}

/**
 * Whether `path` is a regular file holding exactly `expected` (size first, then every byte hashed):
 * such a file is kept, not rewritten. Read errors other than a mismatch, and cancellation, throw.
 */
async function holdsBlob(path: string, expected: { digest: string; size: number }, signal: AbortSignal | undefined): Promise<boolean> {
  const info = await lstat(path).catch(() => undefined);
  if (info === undefined || !info.isFile() || info.size !== expected.size) return false;
  const file = await openRandomAccess(path).catch(() => undefined);
  if (file === undefined) return false;
  try {
    signal?.throwIfAborted();
    const { digest, bytes } = await hashFileRange(file, 0, file.size, parseDigest(expected.digest).algorithm);
    signal?.throwIfAborted();
    return bytes === expected.size && digest === expected.digest;
  } finally {
    await file.close();
  }
}

/**
 * Moves blobs out to `<directory>/<alg>/<encoded>`, verified, two at a time: separate files let the
 * disk work on two writes at once (each copy with half-size chunks, so memory stays that of one copy
 * whether the image has one layer or many). A file already there that holds the blob is kept (a
 * rerun rewrites nothing, and on Windows never has to replace a read-only file); one that does not
 * (wrong size, corrupted) is replaced.
 * Adds each file it creates to `created` (for clean-up on failure).
 */
async function stripBlobs(layout: Layout, digests: string[], directory: string, created: CreatedFiles, o: { progress?: Progress | undefined; signal?: AbortSignal | undefined; directIo?: boolean | undefined; fs: PlatformFs }): Promise<void> {
  const concurrency = Math.max(1, Math.min(STRIP_CONCURRENCY, digests.length));
  const chunkSize = concurrency > 1 ? CONCURRENT_CHUNK : COPY_CHUNK;
  for (const alg of new Set(digests.map((d) => parseDigest(d).algorithm))) {
    await assertAlgorithmFolder(directory, alg);
    await sweepStaleTemps(join(directory, alg));
  }
  await forEachConcurrently(digests, concurrency, async (digest) => {
    o.signal?.throwIfAborted();
    const dest = strippedBlobPath(directory, digest);
    const existed = await lstat(dest).then(() => true, () => false);
    const expected = { digest, size: layout.blobSize(digest)! };
    if (existed && (await holdsBlob(dest, expected, o.signal))) {
      o.progress?.advance(expected.size);
      return;
    }
    const range = await layout.blobRange(digest);
    try {
      await writeVerifiedFile(range, { digest, size: range.size }, `blob ${digest}`, dest, { progress: o.progress, chunkSize, signal: o.signal, directIo: o.directIo, fs: o.fs });
    } finally {
      await range.release();
    }
    if (!existed) created.add(dest);
  });
}

/**
 * Final files this call created (stripped layers, blobs of a directory layout): removed again if
 * the call fails, and registered so that an interrupted process removes them too.
 */
class CreatedFiles {
  private readonly files = new Map<string, () => void>();

  constructor(private readonly fs: PlatformFs) {}

  add(path: string): void {
    this.files.set(path, trackTemporary(path));
  }

  /** Keeps them: the call succeeded. */
  keep(): void {
    for (const untrack of this.files.values()) untrack();
    this.files.clear();
  }

  async remove(): Promise<void> {
    for (const [path, untrack] of this.files) {
      await removePath(path, this.fs).catch(() => {});
      untrack();
    }
    this.files.clear();
  }
}

function wrongBlob(error: unknown, digest: string, directory: string): unknown {
  if (isAirsignError(error) && (error.code === 'LAYOUT_DIGEST_MISMATCH' || error.code === 'LAYOUT_SIZE_MISMATCH')) {
    return airsignError('STRIP_DIR_WRONG_BLOB', `${strippedBlobPath(directory, digest)} does not match ${digest}: ${error.message}`, { cause: error, details: { digest } });
  }
  return error;
}

/**
 * Writes `layout` with `changes` (see the module comment). On win32 the layout is closed before the
 * rename that replaces the target: do not read it after this call.
 */
export async function writeLayout(layout: Layout, changes: LayoutChanges, options: WriteLayoutOptions = {}): Promise<WriteLayoutResult> {
  const progress = options.progress;
  const fs = options.platformFs ?? NODE_FS;
  // Never write an index.json this tool's own readers (repack, verify, a second sign) refuse.
  if (changes.indexBytes !== undefined && changes.indexBytes.length > MAX_INDEX_BYTES) {
    throw airsignError('LAYOUT_INDEX_TOO_LARGE', `index.json would be ${changes.indexBytes.length} bytes, more than the ${MAX_INDEX_BYTES}-byte limit layouts are read with; nothing was written`, {
      details: { bytes: changes.indexBytes.length, limit: MAX_INDEX_BYTES },
    });
  }
  const strip = changes.stripBlobsTo?.digests ?? new Set<string>();
  for (const digest of strip) {
    if (!layout.hasBlob(digest)) throw airsignError('LAYOUT_MISSING_BLOB', `blob ${digest} to strip is not in ${layout.source.path}`, { details: { digest } });
  }
  const plan = new Map<string, BlobPlan>();
  const drop = changes.dropBlobs ?? new Set<string>();
  for (const digest of layout.blobDigests()) {
    if (!strip.has(digest) && !drop.has(digest)) plan.set(digest, { kind: 'layout', digest, size: layout.blobSize(digest)! });
  }
  const added: string[] = [];
  for (const { bytes } of changes.addBlobs ?? []) {
    const digest = digestOf(bytes);
    if (!plan.has(digest)) {
      plan.set(digest, { kind: 'bytes', digest, bytes });
      added.push(digest);
    }
  }
  const inserted: string[] = [];
  if (changes.insertBlobsFrom) {
    const { directory, expected } = changes.insertBlobsFrom;
    for (const alg of new Set([...expected.keys()].map((d) => parseDigest(d).algorithm))) await assertAlgorithmFolder(directory, alg);
    for (const [digest, desc] of [...expected].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (plan.has(digest)) continue;
      const path = strippedBlobPath(directory, digest);
      let size: number;
      try {
        const s = await lstat(path);
        if (!s.isFile()) throw new Error('not a regular file');
        size = s.size;
      } catch {
        throw airsignError('STRIP_DIR_MISSING_BLOB', `${directory} lacks blob ${digest} (expected at ${path})`, { details: { digest } });
      }
      if (size !== desc.size) {
        throw airsignError('STRIP_DIR_WRONG_BLOB', `${path} has ${size} bytes, ${digest} has ${desc.size}`, { details: { digest } });
      }
      plan.set(digest, { kind: 'insert', digest, size, path, desc });
      inserted.push(digest);
    }
  }
  const indexBytes = changes.indexBytes ?? layout.indexBytes;
  const stripped = [...strip].sort();

  if (layout.source.kind === 'directory' && options.output === undefined) {
    const dropped = [...drop].filter((d) => layout.hasBlob(d) && !plan.has(d));
    return writeDirectoryInPlace(layout, plan, {
      indexBytes,
      changed: changes.indexBytes !== undefined,
      stripped,
      strippedTo: changes.stripBlobsTo?.directory,
      added,
      inserted,
      dropped,
      progress,
      signal: options.signal,
      beforeReplace: options.beforeReplace,
      directIo: options.directIo,
      fs,
    });
  }
  if (options.output === undefined && layout.source.kind !== 'tar') {
    throw airsignError('OUTPUT_REQUIRED', `input ${layout.source.kind === 'stdin' ? 'from stdin' : `${layout.source.path} is gzip-compressed and`} cannot be replaced in place; give options.output`, { details: { option: 'output' } });
  }
  if (options.output !== undefined) await checkOutputTarget(options.output);
  // In place through a symbolic link: the file the link points to is replaced, the link stays.
  const target = options.output ?? (await realpath(layout.source.path));
  const shown = options.output ?? layout.source.path;
  await sweepStaleTemps(dirname(target));

  const tarBytes = [...plan.values()].reduce((n, p) => n + (p.kind === 'bytes' ? p.bytes.length : p.size), 0);

  const signal = options.signal;
  const createdStripFiles = new CreatedFiles(fs);
  let writer: TarWriter | undefined;
  let copies: TaskLimit | undefined;
  const temp = temporarySiblingPath(target);
  const untrackTemp = trackTemporary(temp);
  try {
    // 1. strip: layers out to the directory, verified (the bar names the directory: that is where the bytes go).
    if (changes.stripBlobsTo) {
      startStripProgress(progress, layout, stripped, changes.stripBlobsTo.directory);
      await stripBlobs(layout, stripped, changes.stripBlobsTo.directory, createdStripFiles, { progress, signal, directIo: options.directIo, fs });
    }
    // 2. the tar, entries sorted by name as buildx writes them.
    signal?.throwIfAborted();
    progress?.start(`writing ${basename(target)}`, tarBytes);
    writer = await TarWriter.create(temp, options.directIo === undefined ? {} : { directIo: options.directIo });
    copies = new TaskLimit(CONCURRENT_COPIES);
    const blobPaths = [...plan.values()].map((p) => ({ path: blobTarPath(p.digest), p })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const algorithms = [...new Set(blobPaths.map((b) => b.path.split('/')[1]!))].sort();
    type Entry = { path: string; write: () => Promise<void> };
    const entries: Entry[] = [{ path: 'blobs/', write: () => writer!.directory('blobs/') }];
    for (const alg of algorithms) entries.push({ path: `blobs/${alg}/`, write: () => writer!.directory(`blobs/${alg}/`) });
    for (const { path, p } of blobPaths) entries.push({ path, write: () => writeBlobEntry(writer!, layout, path, p, copies!, progress, signal) });
    entries.push({ path: 'index.json', write: () => writer!.file('index.json', indexBytes, 0o644) });
    entries.push({ path: 'oci-layout', write: () => writer!.file('oci-layout', layout.ociLayoutBytes, 0o444) });
    for (const extra of layout.extraFiles) {
      entries.push({
        path: extra.path,
        write: async () => {
          const range = await layout.extraFileRange(extra.path);
          try {
            await writer!.begin(extra.path, range.size, 0o644);
            await copyRaw(range, (c) => writer!.data(c));
            await writer!.end();
          } finally {
            await range.release();
          }
        },
      });
    }
    const rest = entries.slice(1 + algorithms.length + blobPaths.length).sort((a, b) => (a.path < b.path ? -1 : 1));
    for (const entry of [...entries.slice(0, 1 + algorithms.length + blobPaths.length), ...rest]) {
      signal?.throwIfAborted();
      await entry.write();
    }
    await copies.settle();
    await writer.finish();
    const bytes = writer.bytesWritten;
    writer = undefined;
    // A replaced file keeps its permissions; a new one gets the input's (a 0600 input stays private).
    const previous = await stat(target).catch(() => undefined);
    const mode = previous?.isFile() ? previous.mode & 0o7777 : await inputFileMode(layout.source);
    if (mode !== undefined) await chmod(temp, mode);
    await options.beforeReplace?.();
    signal?.throwIfAborted();
    // Windows cannot rename over a file that is open. Whether the target is the input cannot be
    // told from path strings there (case, 8.3 names, junctions, subst drives), so the input is
    // always closed first: everything has been read by now.
    if (fs.platform === 'win32') await layout.close();
    try {
      await renameIntoPlace(temp, target, fs);
    } catch (error) {
      throw replaceError(error, shown, fs, options.output === undefined);
    }
    createdStripFiles.keep();
    progress?.done();
    return { output: shown, kind: 'tar', bytes, blobs: plan.size, added, inserted, stripped };
  } catch (error) {
    progress?.done();
    await copies?.settle().catch(() => {}); // nothing may still write when the file is removed
    await writer?.abort();
    await removePath(temp, fs).catch(() => {});
    await createdStripFiles.remove();
    throw outputError(error, shown);
  } finally {
    untrackTemp();
  }
}

/**
 * Writes one blob entry. A large blob from the layout or the strip directory is only started: its
 * entry is reserved in the tar and its verified copy runs in `copies` (two at a time, each hashed
 * by its own worker thread, so both cores hash), while the next entries are written.
 */
async function writeBlobEntry(writer: TarWriter, layout: Layout, path: string, p: BlobPlan, copies: TaskLimit, progress?: Progress, signal?: AbortSignal): Promise<void> {
  if (p.kind === 'bytes') {
    await writer.file(path, p.bytes, 0o444);
    progress?.advance(p.bytes.length);
    return;
  }
  const what = p.kind === 'layout' ? `blob ${p.digest}` : p.path;
  const expected = p.kind === 'layout' ? { digest: p.digest, size: p.size } : p.desc;
  const range: ByteRange = p.kind === 'layout' ? await layout.blobRange(p.digest) : await openFileRange(p.path);
  const copy = async (sink: (chunk: Uint8Array, offset: number) => Promise<void>, destinationOffset: number, chunkSize?: number) => {
    try {
      await copyVerified(range, expected, what, sink, {
        destinationOffset,
        ...(chunkSize === undefined ? {} : { chunkSize }),
        ...(progress ? { onProgress: (n: number) => progress.advance(n) } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      throw p.kind === 'insert' ? wrongBlob(error, p.digest, dirname(dirname(p.path))) : error;
    } finally {
      await range.release();
    }
  };
  if (p.size < CONCURRENT_COPY_MIN) {
    try {
      await writer.begin(path, p.size, 0o444);
    } catch (error) {
      await range.release();
      throw error;
    }
    await copy((c) => writer.data(c), writer.nextDataOffset);
    await writer.end();
    return;
  }
  // The entry's place is taken now, in name order; its data is written whenever the copy runs.
  let entry: Awaited<ReturnType<TarWriter['reserve']>>;
  try {
    entry = await writer.reserve(path, p.size, 0o444);
  } catch (error) {
    await range.release();
    throw error;
  }
  await copies.add(() => copy(entry.write, entry.dataOffset, CONCURRENT_CHUNK)).catch(async (error: unknown) => {
    await range.release(); // not started: an earlier copy failed
    throw error;
  });
}

async function openFileRange(path: string): Promise<ByteRange> {
  const file = await openRandomAccess(path);
  return { file, offset: 0, size: file.size, release: () => file.close() };
}

async function copyRaw(source: CopySource, sink: (chunk: Uint8Array) => Promise<void>): Promise<void> {
  const buffer = Buffer.allocUnsafe(Math.min(1024 * 1024, Math.max(1, source.size)));
  let done = 0;
  while (done < source.size) {
    const n = await source.file.read(buffer, 0, Math.min(buffer.length, source.size - done), source.offset + done);
    if (n === 0) throw airsignError('TAR_TRUNCATED', 'input file is truncated');
    await sink(buffer.subarray(0, n));
    done += n;
  }
}

/** The progress bar while layer blobs move out: it names the directory they are written to. */
function startStripProgress(progress: Progress | undefined, layout: Layout, digests: string[], directory: string): void {
  const bytes = digests.reduce((n, d) => n + layout.blobSize(d)!, 0);
  progress?.start(`moving ${digests.length} layer blob${digests.length === 1 ? '' : 's'} to ${directory}`, bytes);
}

async function writeDirectoryInPlace(
  layout: Layout,
  plan: Map<string, BlobPlan>,
  o: {
    indexBytes: Uint8Array;
    changed: boolean;
    stripped: string[];
    strippedTo: string | undefined;
    added: string[];
    inserted: string[];
    dropped: string[];
    progress: Progress | undefined;
    signal: AbortSignal | undefined;
    beforeReplace: (() => Promise<void>) | undefined;
    directIo: boolean | undefined;
    fs: PlatformFs;
  },
): Promise<WriteLayoutResult> {
  const root = layout.source.path;
  const created = new CreatedFiles(o.fs);
  try {
    // Temp files of a killed run beside the blobs this run writes go first (index.json's folder is
    // swept by its atomic write).
    for (const alg of new Set([...plan.values()].filter((p) => p.kind !== 'layout').map((p) => parseDigest(p.digest).algorithm))) {
      await sweepStaleTemps(join(root, 'blobs', alg));
    }
    if (o.strippedTo !== undefined) {
      startStripProgress(o.progress, layout, o.stripped, o.strippedTo);
      await stripBlobs(layout, o.stripped, o.strippedTo, created, { progress: o.progress, signal: o.signal, directIo: o.directIo, fs: o.fs });
      o.progress?.done();
    }
    for (const p of plan.values()) {
      o.signal?.throwIfAborted();
      if (p.kind === 'layout') continue;
      const dest = join(root, blobTarPath(p.digest));
      if (p.kind === 'bytes') {
        await mkdir(dirname(dest), { recursive: true });
        await writeFileAtomic(dest, p.bytes, { mode: 0o444, platformFs: o.fs, sweepStale: false });
      }
      else {
        const file = await openRandomAccess(p.path);
        try {
          await writeVerifiedFile({ file, offset: 0, size: file.size }, p.desc, p.path, dest, { progress: o.progress, signal: o.signal, directIo: o.directIo, fs: o.fs });
        } catch (error) {
          throw wrongBlob(error, p.digest, dirname(dirname(p.path)));
        } finally {
          await file.close();
        }
      }
      created.add(dest);
    }
    await o.beforeReplace?.();
    o.signal?.throwIfAborted();
    if (o.changed) await writeFileAtomic(join(root, 'index.json'), o.indexBytes, { mode: 0o644, platformFs: o.fs });
    created.keep();
  } catch (error) {
    o.progress?.done();
    await created.remove();
    throw outputError(error, root);
  }
  // The new layout is in place: a blob that cannot be removed now is only unreferenced, not an error.
  for (const digest of [...o.stripped, ...o.dropped]) {
    const path = directoryBlobPath(layout, digest);
    if (path) await removePath(path, o.fs).catch(() => {});
  }
  return { output: root, kind: 'directory', bytes: 0, blobs: plan.size, added: o.added, inserted: o.inserted, stripped: o.stripped };
}

