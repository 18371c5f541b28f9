/**
 * The tar entry state machine, fed one header block (and, for PAX and GNU long-name headers, their
 * data) at a time, so a seekable file and a stream are read by the same rules. The rules are those
 * of Go's archive/tar `Reader.Next` plus oras-go's tarfs, because `oras cp` reads layout tars with
 * them and airsign must never sign or verify a view oras does not see:
 * - link, symlink, char, block, dir and fifo entries are header-only: their size field is ignored;
 * - a `\0` typeflag is a directory when the final name ends in `/`, else a regular file;
 * - an `x` header's records replace any earlier `x` header's and apply to the next entry only, with
 *   empty values ignored; a GNU long name beats a PAX path; a `g` header is an entry of its own
 *   and changes nothing after it;
 * - two zero blocks end the archive (one zero block then end of file too); a zero block followed
 *   by anything else is an error;
 * - tarfs opens an entry by re-reading its last header block alone, so a PAX size that disagrees
 *   with that block's size (other than Go's own 8 GiB overflow case) is refused;
 * - tarfs keys entries by cleaned name, last one wins: we refuse any name that two entries share.
 * Types oras cannot open (links, devices, fifos, `7`, sparse) and unsafe names are refused, and so
 * is what tar readers disagree on (TAR_AMBIGUOUS): a directory with a non-zero size, a global PAX
 * header that sets a path or size, two PAX headers or two GNU long names for one entry, a GNU long
 * name beside a different PAX path.
 */
import { airsignError, isAirsignError } from '../errors.js';
import { BLOCK, MAX_OCTAL_SIZE, REENCODED_HINT, decodeHeader, decodeName, isGoInt64, isGoPaxTime, isZeroBlock, parsePaxRecords, type RawHeader } from './tar-header.js';
import { normalizeEntryPath } from './tar-path.js';

export interface TarEntry {
  /** Normalised path (`./` and trailing `/` removed). */
  path: string;
  type: 'file' | 'directory';
  /** File offset of the first data byte. */
  offset: number;
  size: number;
  mode: number;
}

/** What the caller must do after a header block. */
export type ScanStep =
  /** Read exactly `size` data bytes after the header and pass them to `meta()`. */
  | { kind: 'meta'; size: number }
  /** Skip `size` data bytes (then padding to the next block). */
  | { kind: 'data'; size: number }
  /** A zero block: pass the next block (or null at end of input) to `afterZero()`. */
  | { kind: 'zero' };

/** More entries than this is not an image layout but an attack on our memory. */
const MAX_ENTRIES = 1_000_000;

/** Extended header payloads (PAX, GNU long names) larger than this are refused (Go's limit too). */
const MAX_META_SIZE = 1024 * 1024;

const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);

export class TarScanner {
  /** Regular files and directories by normalised path, in archive order. */
  readonly entries = new Map<string, TarEntry>();
  /** Names of `g` entries (Go returns them as entries; oras cannot open them). */
  private readonly otherNames = new Set<string>();
  private pax: Map<string, string> | undefined;
  private longName = '';
  private pending: { header: RawHeader; at: number } | undefined;
  ended = false;

  constructor(private readonly what: string) {}

  /** Handles the header block at offset `at`. */
  header(block: Uint8Array, at: number): ScanStep {
    if (isZeroBlock(block)) {
      if (at === 0) throw airsignError('TAR_NOT_A_TAR', `${this.what} is not a tar file (it starts with a zero block)`);
      return { kind: 'zero' };
    }
    let header: RawHeader;
    try {
      header = decodeHeader(block, at);
    } catch (error) {
      // No checksummed header at the start: not a tar at all (a corrupt field in a real header says so).
      if (at === 0 && isAirsignError(error) && error.code === 'TAR_BAD_CHECKSUM') {
        throw airsignError('TAR_NOT_A_TAR', `${this.what} is not a tar file (no valid tar header at its start; ${REENCODED_HINT})`, { cause: error });
      }
      throw error;
    }
    const type = header.typeflag;
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      if (header.size < 0) throw airsignError('TAR_BAD_HEADER', `negative size in tar header at offset ${at}`);
      if (header.size > MAX_META_SIZE) throw airsignError('TAR_BAD_HEADER', `extended tar header at offset ${at} is too large`);
      this.pending = { header, at };
      return { kind: 'meta', size: header.size };
    }
    return { kind: 'data', size: this.finishEntry(header, at) };
  }

  /** The data of the PAX or GNU long-name header last returned as `meta`. */
  meta(data: Uint8Array): void {
    const { header, at } = this.pending!;
    this.pending = undefined;
    switch (header.typeflag) {
      case 'x':
        // Go keeps only the last of several; Python's tarfile lets the first win.
        if (this.pax !== undefined) throw ambiguous(at, 'two PAX headers for one entry');
        this.pax = parsePaxRecords(data, at);
        return;
      case 'g': {
        const records = parsePaxRecords(data, at);
        // Go ignores a global header's records for later entries; GNU tar and Python apply them.
        for (const key of records.keys()) {
          if (key === 'path' || key === 'linkpath' || key === 'size' || key.startsWith('GNU.sparse.')) throw ambiguous(at, `a global PAX header that sets ${key}`);
        }
        this.registerOther(header.name);
        this.pax = undefined;
        this.longName = '';
        return;
      }
      case 'L': {
        if (this.longName !== '') throw ambiguous(at, 'two GNU long names for one entry');
        const nul = data.indexOf(0);
        this.longName = decodeName(nul === -1 ? data : data.subarray(0, nul), at);
        return;
      }
      default:
        return; // 'K': a long link name; links are refused anyway.
    }
  }

  /** The block after a zero block (null at end of input); ends the archive or throws. */
  afterZero(block: Uint8Array | null, at: number): void {
    if (block !== null && !isZeroBlock(block)) {
      throw airsignError('TAR_BAD_HEADER', `${this.what} has a zero block followed by data at offset ${at} (corrupt tar)`);
    }
    this.ended = true;
  }

  /** Applies pending PAX and long-name records, classifies and records one entry; returns its data size. */
  private finishEntry(header: RawHeader, at: number): number {
    const pax = this.pax;
    const longName = this.longName;
    this.pax = undefined;
    this.longName = '';
    let name = header.name;
    let size = header.size;
    if (pax) {
      for (const [key, value] of pax) {
        if (key.startsWith('GNU.sparse.')) {
          throw airsignError('TAR_UNSUPPORTED_ENTRY', `tar entry at offset ${at} is a sparse file; layouts must hold regular files only`);
        }
        if (value === '') continue;
        const bad = () => airsignError('TAR_BAD_HEADER', `invalid PAX ${key} in tar header at offset ${at}`);
        if (key === 'path') name = value;
        else if (key === 'size') {
          if (!isGoInt64(value)) throw bad();
          const n = Number(value);
          if (!Number.isSafeInteger(n)) throw airsignError('TAR_BAD_HEADER', `PAX size too large in tar header at offset ${at}`);
          size = n;
        } else if ((key === 'uid' || key === 'gid') && !isGoInt64(value)) throw bad();
        else if ((key === 'atime' || key === 'mtime' || key === 'ctime') && !isGoPaxTime(value)) throw bad();
      }
    }
    if (longName !== '') {
      if (pax?.get('path') && pax.get('path') !== longName) throw ambiguous(at, 'both a GNU long name and a different PAX path');
      name = longName;
    }
    let type = header.typeflag;
    if (type === '\0') type = name.endsWith('/') ? '5' : '0';
    const headerOnly = HEADER_ONLY.has(type);
    if (!headerOnly && size < 0) throw airsignError('TAR_BAD_HEADER', `negative size in tar header at offset ${at}`);
    const dataSize = headerOnly ? 0 : size;

    if (type === '1' || type === '2') {
      throw airsignError('TAR_LINK_ENTRY', `tar entry ${JSON.stringify(name)} is a ${type === '1' ? 'hard' : 'symbolic'} link; layouts must hold regular files only`);
    }
    if (type !== '0' && type !== '5') {
      throw airsignError('TAR_UNSUPPORTED_ENTRY', `tar entry ${JSON.stringify(name)} has type ${JSON.stringify(type)}; layouts must hold regular files and directories only`);
    }
    const kind: TarEntry['type'] = type === '0' ? 'file' : 'directory';
    // Go and Python read no data after a directory whatever its size says; other readers skip it.
    if (kind === 'directory' && (size !== 0 || header.size !== 0)) throw ambiguous(at, `a directory entry ${JSON.stringify(name)} with a non-zero size`);
    if (kind === 'file') {
      // What tarfs will read when it opens this entry: the last header block on its own.
      const rawType = header.typeflag === '\0' ? (header.name.endsWith('/') ? '5' : '0') : header.typeflag;
      const reread = HEADER_ONLY.has(rawType) ? 0 : header.size;
      if (reread !== size && !(header.size === 0 && size > MAX_OCTAL_SIZE)) {
        throw airsignError('TAR_BAD_HEADER', `tar entry ${JSON.stringify(name)} at offset ${at}: its extended size (${size}) differs from its header's (${reread}), which other tar readers use`);
      }
    }
    const path = normalizeEntryPath(name);
    if (path === '' && kind === 'file') throw airsignError('TAR_UNSAFE_PATH', `tar entry ${JSON.stringify(name)} has an empty name`);
    if (path !== '') {
      const existing = this.entries.get(path);
      if ((existing && (existing.type === 'file' || kind === 'file')) || (kind === 'file' && this.otherNames.has(path))) {
        throw airsignError('TAR_DUPLICATE_ENTRY', `${this.what} has more than one entry named ${JSON.stringify(path)}`);
      }
      if (!existing && this.entries.size >= MAX_ENTRIES) throw airsignError('TAR_TOO_MANY_ENTRIES', `${this.what} has more than ${MAX_ENTRIES} entries`);
      if (!existing) this.entries.set(path, { path, type: kind, offset: at + BLOCK, size: dataSize, mode: header.mode });
    }
    return dataSize;
  }

  private registerOther(name: string): void {
    if (name.startsWith('/')) return; // a cleaned absolute name never matches a layout path
    const path = normalizeEntryPath(name);
    if (path === '') return;
    if (this.entries.get(path)?.type === 'file') {
      throw airsignError('TAR_DUPLICATE_ENTRY', `${this.what} has more than one entry named ${JSON.stringify(path)}`);
    }
    this.otherNames.add(path);
  }
}

/** A construct tar readers (Go's archive/tar, GNU tar, Python's tarfile) do not read alike. */
function ambiguous(at: number, what: string) {
  return airsignError('TAR_AMBIGUOUS', `tar header at offset ${at} has ${what}, which tar readers interpret differently; refusing it`);
}

/** Bytes from the end of an entry's data to the next block boundary. */
export function roundUp(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}
