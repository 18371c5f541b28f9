/**
 * Opens an OCI image layout as a read-only content store without extracting it:
 * - a tar file: headers are indexed (data skipped by seeking), then only what is needed is read;
 * - an OCI layout directory;
 * - a gzip-compressed tar, or `-` for stdin: spooled once to a private temp file (the whole
 *   decompressed tar, because buildx writes index.json after every blob), removed by close().
 *   A stdin redirected from a regular uncompressed file is read in place, not spooled.
 * Every read is checked against the blob's digest and size.
 */
import { fstatSync, type Stats } from 'node:fs';
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, pipeline } from 'node:stream';
import type { PlainDescriptor } from '../descriptor.js';
import { VerifyingStream, verifyBytes } from '../digest.js';
import { airsignError, isAirsignError } from '../errors.js';
import { fsErrorText } from '../fs/fs-error-text.js';
import type { ErrorCode } from '../errors.js';
import type { Progress } from '../progress.js';
import { fromDescriptor, openRandomAccess, readFully, type RandomAccessFile } from '../tar/random-access.js';
import { indexTar, type TarEntry } from '../tar/tar-index.js';
import { spoolToTempFile, fileStream } from '../tar/spool.js';
import { parseImageIndex, type ImageIndex } from './image-index.js';
import { DEFAULT_MAX_JSON_BYTES, parseLayoutJson } from './layout-json.js';
import { isJsonObject } from '../json-object.js';

export type LayoutSourceKind = 'tar' | 'directory' | 'gzip' | 'stdin';

/** Where a blob's (or file's) bytes are: `size` bytes at `offset` in `file`. */
export interface ByteRange {
  file: RandomAccessFile;
  offset: number;
  size: number;
  /** Releases the file when it was opened for this range only. */
  release(): Promise<void>;
}

export interface Layout {
  readonly source: { kind: LayoutSourceKind; path: string };
  /** Raw index.json bytes. */
  readonly indexBytes: Uint8Array;
  readonly index: ImageIndex;
  /** Raw oci-layout bytes. */
  readonly ociLayoutBytes: Uint8Array;
  /** Regular files other than oci-layout, index.json and blobs (e.g. type=docker's manifest.json), kept by writers. */
  readonly extraFiles: ReadonlyArray<{ path: string; size: number }>;
  hasBlob(digest: string): boolean;
  /** Digests of the blobs present, sorted. */
  blobDigests(): string[];
  /** Stored size of a present blob. */
  blobSize(digest: string): number | undefined;
  /** Reads a small blob (JSON) fully; verifies size and digest; refuses more than maxBytes (default 4 MiB). */
  readBlob(desc: PlainDescriptor, maxBytes?: number): Promise<Uint8Array>;
  /** Streams a blob, verified while streaming (the stream errors on mismatch). */
  openBlobStream(desc: PlainDescriptor): NodeJS.ReadableStream;
  /** Low-level access for writers: where a present blob's bytes are. */
  blobRange(digest: string): Promise<ByteRange>;
  /** Low-level access for writers: where an extra file's bytes are. */
  extraFileRange(path: string): Promise<ByteRange>;
  close(): Promise<void>;
}

export interface OpenLayoutOptions {
  progress?: Progress;
  /**
   * What the source `-` reads (the CLI passes process.stdin). A stream with a numeric `fd` that is a
   * regular file is read in place; anything else is copied to a temporary file first.
   */
  stdin?: Readable & { fd?: number };
}

/** Opens `source` with the OpenLayoutOptions among `options`, runs `use`, and closes the layout. */
export async function withLayout<T>(source: string, options: OpenLayoutOptions, use: (layout: Layout) => Promise<T>): Promise<T> {
  const layout = await openLayout(source, openOptionsOf(options));
  try {
    return await use(layout);
  } finally {
    await layout.close();
  }
}

/** The OpenLayoutOptions among an operation's options. */
function openOptionsOf(options: OpenLayoutOptions): OpenLayoutOptions {
  return {
    ...(options.progress === undefined ? {} : { progress: options.progress }),
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
  };
}

const BLOB_PATH = /^blobs\/([a-z0-9]+(?:[+._-][a-z0-9]+)*)\/([a-zA-Z0-9=_-]+)$/;
/** The largest index.json read (and so the largest one a writer may produce). */
export const MAX_INDEX_BYTES = DEFAULT_MAX_JSON_BYTES;
const MAX_OCI_LAYOUT_BYTES = 64 * 1024;
const CHUNK = 1024 * 1024;

/**
 * Opens an OCI image layout for reading: a tar file, a gzip-compressed tar, a layout directory, or
 * `-` for `options.stdin`. Reads and checks oci-layout and index.json; blobs are read on demand and
 * verified against their digests. Close it when done.
 */
export async function openLayout(source: string, options: OpenLayoutOptions = {}): Promise<Layout> {
  if (source === '-') return openStdin(options);
  let info: Stats;
  try {
    info = await stat(source);
  } catch (error) {
    throw airsignError('INPUT_NOT_FOUND', `${source}: ${fsErrorText(error)}`, { cause: error, details: { path: source } });
  }
  if (info.isDirectory()) return openDirectoryLayout(source);
  if (!info.isFile()) throw airsignError('INPUT_NOT_A_FILE', `${source} is not a file or directory`);
  let file: RandomAccessFile;
  try {
    file = await openRandomAccess(source);
  } catch (error) {
    throw airsignError('INPUT_NOT_FOUND', `cannot open ${source}: ${openFailureText(error)}`, { cause: error, details: { path: source } });
  }
  try {
    const magic = new Uint8Array(2);
    const n = await readFully(file, magic, 0, 2, 0);
    if (n === 2 && magic[0] === 0x1f && magic[1] === 0x8b) {
      await file.close();
      const spooled = await spoolToTempFile(fileStream(source), { gunzip: true, what: source });
      return await openSpooled(spooled, { kind: 'gzip', path: source });
    }
    return await openTarLayout(file, { kind: 'tar', path: source }, async () => {});
  } catch (error) {
    await file.close().catch(() => {});
    throw error;
  }
}

/**
 * Why a file that exists could not be opened. On Windows EBUSY is a sharing violation: another
 * program holds the file open and lets no one else read it.
 */
function openFailureText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EBUSY' && process.platform === 'win32') return 'another program has it open and shares it with no one (close that program and run again)';
  return fsErrorText(error);
}

async function openStdin(options: OpenLayoutOptions): Promise<Layout> {
  const stdin = options.stdin;
  if (stdin === undefined) throw airsignError('INPUT_NO_STDIN', 'the source "-" needs a stdin stream (option stdin)');
  const stat = typeof stdin.fd === 'number' ? fstatSync(stdin.fd) : undefined;
  if (stat?.isFile() && typeof stdin.fd === 'number') {
    const file = fromDescriptor(stdin.fd, stat.size);
    const magic = new Uint8Array(2);
    const n = await readFully(file, magic, 0, 2, 0);
    if (!(n === 2 && magic[0] === 0x1f && magic[1] === 0x8b)) return openTarLayout(file, { kind: 'stdin', path: '-' }, async () => {});
  }
  options.progress?.start('reading stdin');
  const spooled = await spoolToTempFile(stdin, {
    gunzip: 'auto',
    what: 'stdin',
    ...(options.progress ? { onBytes: (n: number) => options.progress!.advance(n) } : {}),
  });
  options.progress?.done();
  return openSpooled(spooled, { kind: 'stdin', path: '-' });
}

async function openSpooled(spooled: { path: string; cleanup: () => Promise<void> }, source: Layout['source']): Promise<Layout> {
  let file: RandomAccessFile | undefined;
  try {
    file = await openRandomAccess(spooled.path);
    return await openTarLayout(file, source, spooled.cleanup);
  } catch (error) {
    await file?.close().catch(() => {});
    await spooled.cleanup();
    throw error;
  }
}

function blobNameToDigest(path: string): string | undefined {
  const m = BLOB_PATH.exec(path);
  return m ? `${m[1]}:${m[2]}` : undefined;
}

function parseOciLayout(bytes: Uint8Array, what: string): void {
  const value = parseLayoutJson(bytes, what, MAX_OCI_LAYOUT_BYTES);
  if (!isJsonObject(value) || typeof value.imageLayoutVersion !== 'string') {
    throw airsignError('LAYOUT_BAD_OCI_LAYOUT', `${what} has no imageLayoutVersion`);
  }
  if (!value.imageLayoutVersion.startsWith('1.')) {
    throw airsignError('LAYOUT_BAD_OCI_LAYOUT', `${what} has unsupported imageLayoutVersion ${JSON.stringify(value.imageLayoutVersion)}`);
  }
}

async function readRange(file: RandomAccessFile, offset: number, size: number, what: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(size);
  if ((await readFully(file, bytes, 0, size, offset)) !== size) throw airsignError('TAR_TRUNCATED', `${what} is truncated`);
  return bytes;
}

/** Shared behaviour of both layout kinds over a `locate` function. */
abstract class BaseLayout implements Layout {
  abstract readonly source: Layout['source'];
  abstract readonly indexBytes: Uint8Array;
  abstract readonly index: ImageIndex;
  abstract readonly ociLayoutBytes: Uint8Array;
  abstract readonly extraFiles: ReadonlyArray<{ path: string; size: number }>;
  protected abstract readonly blobs: Map<string, number>;
  abstract blobRange(digest: string): Promise<ByteRange>;
  abstract extraFileRange(path: string): Promise<ByteRange>;
  abstract close(): Promise<void>;

  hasBlob(digest: string): boolean {
    return this.blobs.has(digest);
  }

  blobDigests(): string[] {
    return [...this.blobs.keys()].sort();
  }

  blobSize(digest: string): number | undefined {
    return this.blobs.get(digest);
  }

  protected checkPresent(desc: PlainDescriptor): number {
    const size = this.blobs.get(desc.digest);
    if (size === undefined) {
      throw airsignError('LAYOUT_MISSING_BLOB', `blob ${desc.digest} (${desc.mediaType}) is not in ${this.source.path}`, { details: { digest: desc.digest } });
    }
    if (size !== desc.size) {
      throw airsignError('LAYOUT_SIZE_MISMATCH', `blob ${desc.digest} has ${size} bytes, its descriptor says ${desc.size}`, { details: { digest: desc.digest, expected: desc.size, actual: size } });
    }
    return size;
  }

  async readBlob(desc: PlainDescriptor, maxBytes = DEFAULT_MAX_JSON_BYTES): Promise<Uint8Array> {
    if (desc.size > maxBytes) {
      throw airsignError('LAYOUT_BLOB_TOO_LARGE', `blob ${desc.digest} is ${desc.size} bytes, more than the ${maxBytes}-byte limit for metadata`, {
        details: { digest: desc.digest, size: desc.size, limit: maxBytes },
      });
    }
    this.checkPresent(desc);
    const range = await this.blobRange(desc.digest);
    try {
      const bytes = await readRange(range.file, range.offset, range.size, `blob ${desc.digest}`);
      verifyBytes(bytes, desc, `blob ${desc.digest}`);
      return bytes;
    } finally {
      await range.release();
    }
  }

  openBlobStream(desc: PlainDescriptor): NodeJS.ReadableStream {
    this.checkPresent(desc);
    const rangePromise = this.blobRange(desc.digest);
    async function* chunks(): AsyncGenerator<Uint8Array> {
      const range = await rangePromise;
      try {
        let done = 0;
        while (done < range.size) {
          const length = Math.min(CHUNK, range.size - done);
          const buffer = Buffer.allocUnsafe(length);
          const n = await readFully(range.file, buffer, 0, length, range.offset + done);
          if (n !== length) throw airsignError('TAR_TRUNCATED', `blob ${desc.digest} is truncated`);
          done += n;
          yield buffer;
        }
      } finally {
        await range.release();
      }
    }
    const verify = new VerifyingStream(desc, `blob ${desc.digest}`);
    return pipeline(Readable.from(chunks(), { objectMode: false }), verify, () => {});
  }
}

class TarLayout extends BaseLayout {
  protected readonly blobs = new Map<string, number>();
  private readonly blobEntries = new Map<string, TarEntry>();
  indexBytes!: Uint8Array;
  index!: ImageIndex;
  ociLayoutBytes!: Uint8Array;
  extraFiles: Array<{ path: string; size: number }> = [];
  private readonly extras = new Map<string, TarEntry>();

  constructor(
    readonly source: Layout['source'],
    private readonly file: RandomAccessFile,
    private readonly cleanup: () => Promise<void>,
  ) {
    super();
  }

  async load(): Promise<void> {
    const what = this.source.kind === 'tar' ? this.source.path : this.source.kind === 'stdin' ? 'stdin' : this.source.path;
    const { entries } = await indexTar(this.file, what);
    let indexEntry: TarEntry | undefined;
    let layoutEntry: TarEntry | undefined;
    for (const entry of entries.values()) {
      if (entry.type !== 'file') continue;
      if (entry.path === 'index.json') indexEntry = entry;
      else if (entry.path === 'oci-layout') layoutEntry = entry;
      else if (entry.path.startsWith('blobs/')) {
        const digest = blobNameToDigest(entry.path);
        if (!digest) throw airsignError('LAYOUT_BAD_BLOB_NAME', `${what}: ${entry.path} is not a blobs/<algorithm>/<encoded> name`);
        this.blobs.set(digest, entry.size);
        this.blobEntries.set(digest, entry);
      } else {
        this.extras.set(entry.path, entry);
        this.extraFiles.push({ path: entry.path, size: entry.size });
      }
    }
    if (!layoutEntry) throw airsignError('LAYOUT_NO_OCI_LAYOUT', `${what} has no oci-layout file (not an OCI image layout${notALayoutHint(this.extras.has('manifest.json'))})`);
    if (!indexEntry) throw airsignError('LAYOUT_NO_INDEX', `${what} has no index.json (not an OCI image layout)`);
    if (layoutEntry.size > MAX_OCI_LAYOUT_BYTES) throw airsignError('LAYOUT_JSON_TOO_LARGE', `${what}: oci-layout is too large`);
    this.ociLayoutBytes = await readRange(this.file, layoutEntry.offset, layoutEntry.size, 'oci-layout');
    parseOciLayout(this.ociLayoutBytes, `${what}: oci-layout`);
    if (indexEntry.size > MAX_INDEX_BYTES) {
      throw airsignError('LAYOUT_JSON_TOO_LARGE', `${what}: index.json is ${indexEntry.size} bytes, more than the ${MAX_INDEX_BYTES}-byte limit`);
    }
    this.indexBytes = await readRange(this.file, indexEntry.offset, indexEntry.size, 'index.json');
    this.index = parseImageIndex(this.indexBytes, `${what}: index.json`);
  }

  async blobRange(digest: string): Promise<ByteRange> {
    const entry = this.blobEntries.get(digest);
    if (!entry) throw airsignError('LAYOUT_MISSING_BLOB', `blob ${digest} is not in ${this.source.path}`, { details: { digest } });
    return { file: this.file, offset: entry.offset, size: entry.size, release: async () => {} };
  }

  async extraFileRange(path: string): Promise<ByteRange> {
    const entry = this.extras.get(path);
    if (!entry) throw airsignError('LAYOUT_MISSING_FILE', `${path} is not in ${this.source.path}`);
    return { file: this.file, offset: entry.offset, size: entry.size, release: async () => {} };
  }

  async close(): Promise<void> {
    await this.file.close().catch(() => {});
    await this.cleanup();
  }
}

async function openTarLayout(file: RandomAccessFile, source: Layout['source'], cleanup: () => Promise<void>): Promise<Layout> {
  const layout = new TarLayout(source, file, cleanup);
  await layout.load();
  return layout;
}

class DirectoryLayout extends BaseLayout {
  protected readonly blobs = new Map<string, number>();
  indexBytes!: Uint8Array;
  index!: ImageIndex;
  ociLayoutBytes!: Uint8Array;
  extraFiles: Array<{ path: string; size: number }> = [];
  readonly source: Layout['source'];

  constructor(private readonly root: string) {
    super();
    this.source = { kind: 'directory', path: root };
  }

  async load(): Promise<void> {
    const what = this.root;
    const regular = async (path: string, missingCode: ErrorCode, missingMessage: string): Promise<Stats> => {
      let stat: Stats;
      try {
        stat = await lstat(path);
      } catch {
        throw airsignError(missingCode, missingMessage);
      }
      if (stat.isSymbolicLink()) throw linkEntry(path);
      if (!stat.isFile()) throw airsignError(missingCode, missingMessage);
      return stat;
    };
    const dockerSave = await lstat(join(this.root, 'manifest.json')).then((info) => info.isFile(), () => false);
    const layoutStat = await regular(join(this.root, 'oci-layout'), 'LAYOUT_NO_OCI_LAYOUT', `${what} has no oci-layout file (not an OCI image layout${notALayoutHint(dockerSave)})`);
    if (layoutStat.size > MAX_OCI_LAYOUT_BYTES) throw airsignError('LAYOUT_JSON_TOO_LARGE', `${what}: oci-layout is too large`);
    this.ociLayoutBytes = await readFile(join(this.root, 'oci-layout'));
    parseOciLayout(this.ociLayoutBytes, `${what}/oci-layout`);
    const indexStat = await regular(join(this.root, 'index.json'), 'LAYOUT_NO_INDEX', `${what} has no index.json (not an OCI image layout)`);
    if (indexStat.size > MAX_INDEX_BYTES) {
      throw airsignError('LAYOUT_JSON_TOO_LARGE', `${what}/index.json is ${indexStat.size} bytes, more than the ${MAX_INDEX_BYTES}-byte limit`);
    }
    this.indexBytes = new Uint8Array(await readFile(join(this.root, 'index.json')));
    this.index = parseImageIndex(this.indexBytes, `${what}/index.json`);
    for (const name of (await readdir(this.root)).sort()) {
      if (name === 'oci-layout' || name === 'index.json' || name === 'blobs') continue;
      const stat = await lstat(join(this.root, name));
      if (stat.isFile()) this.extraFiles.push({ path: name, size: stat.size });
    }
    // blobs/ and blobs/<alg>/ are never followed through a symbolic link: sign writes and strip
    // removes files there, and must not do so in a folder outside the layout.
    const blobsPath = join(this.root, 'blobs');
    const blobsStat = await lstat(blobsPath).catch(() => undefined);
    if (blobsStat?.isSymbolicLink()) throw linkEntry(blobsPath);
    const algorithms = blobsStat?.isDirectory() ? await readdir(blobsPath) : [];
    for (const alg of algorithms) {
      const dir = join(this.root, 'blobs', alg);
      const algStat = await lstat(dir);
      if (algStat.isSymbolicLink()) throw linkEntry(dir);
      if (!algStat.isDirectory()) continue;
      for (const encoded of await readdir(dir)) {
        if (encoded.startsWith('.')) continue; // our own temp files
        const digest = blobNameToDigest(`blobs/${alg}/${encoded}`);
        if (!digest) throw airsignError('LAYOUT_BAD_BLOB_NAME', `${what}: blobs/${alg}/${encoded} is not a blobs/<algorithm>/<encoded> name`);
        const stat = await regular(join(dir, encoded), 'LAYOUT_BAD_BLOB_NAME', `${what}: blobs/${alg}/${encoded} is not a regular file`);
        this.blobs.set(digest, stat.size);
      }
    }
  }

  blobPath(digest: string): string {
    const colon = digest.indexOf(':');
    return join(this.root, 'blobs', digest.slice(0, colon), digest.slice(colon + 1));
  }

  async blobRange(digest: string): Promise<ByteRange> {
    if (!this.blobs.has(digest)) throw airsignError('LAYOUT_MISSING_BLOB', `blob ${digest} is not in ${this.root}`, { details: { digest } });
    const file = await openRandomAccess(this.blobPath(digest));
    return { file, offset: 0, size: file.size, release: () => file.close() };
  }

  async extraFileRange(path: string): Promise<ByteRange> {
    const file = await openRandomAccess(join(this.root, path));
    return { file, offset: 0, size: file.size, release: () => file.close() };
  }

  async close(): Promise<void> {}
}

function linkEntry(path: string) {
  return airsignError('LAYOUT_LINK_ENTRY', `${path} is a symbolic link; layouts must hold regular files and folders only`, { details: { path } });
}

async function openDirectoryLayout(root: string): Promise<Layout> {
  const layout = new DirectoryLayout(root);
  try {
    await layout.load();
  } catch (error) {
    if (isAirsignError(error)) throw error;
    throw airsignError('LAYOUT_UNREADABLE', `cannot read layout directory ${root}: ${(error as Error).message}`, { cause: error });
  }
  return layout;
}

/** The path of a blob inside a directory layout, or undefined for other kinds. */
export function directoryBlobPath(layout: Layout, digest: string): string | undefined {
  return layout instanceof DirectoryLayout ? layout.blobPath(digest) : undefined;
}

/**
 * How to get an OCI layout instead: a `manifest.json` without `oci-layout` is the older `docker
 * save` format; anything else is not an image export at all.
 */
function notALayoutHint(hasDockerManifest: boolean): string {
  return hasDockerManifest
    ? '; it looks like `docker save` output: export an OCI layout with `docker buildx build -o type=oci,dest=image.tar .`, or convert it with `skopeo copy docker-archive:in.tar oci-archive:image.tar`'
    : '; make one with `docker buildx build -o type=oci,dest=image.tar .` (or `-o type=docker`)';
}
