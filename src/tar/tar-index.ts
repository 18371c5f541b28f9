/**
 * Indexes a tar file by reading headers only: each entry's data is skipped by seeking, so a
 * multi-GiB layer costs one 512-byte read. Accepts ustar, GNU (`ustar  `, L/K long names), PAX
 * (`x` and `g` headers: path, size), v7, `./` prefixes and directory entries; refuses links,
 * devices, unsafe paths, duplicate files, bad checksums and truncation with one-line errors.
 */
import { airsignError } from '../errors.js';
import { BLOCK, decodeHeader, isZeroBlock, parsePaxRecords } from './tar-header.js';
import { normalizeEntryPath } from './tar-path.js';
import { readFully, type RandomAccessFile } from './random-access.js';

export interface TarEntry {
  /** Normalised path (`./` and trailing `/` removed). */
  path: string;
  type: 'file' | 'directory';
  /** File offset of the first data byte. */
  offset: number;
  size: number;
  mode: number;
}

export interface TarIndex {
  /** Regular files and directories by normalised path, in archive order. */
  entries: Map<string, TarEntry>;
  /** Offset just after the end-of-archive marker (or of the last entry). */
  end: number;
}

/** More entries than this is not an image layout but an attack on our memory. */
const MAX_ENTRIES = 1_000_000;

/** Extended header payloads (PAX, GNU long names) larger than this are refused. */
const MAX_META_SIZE = 1024 * 1024;

const decoder = new TextDecoder();

export async function indexTar(file: RandomAccessFile, what = 'tar'): Promise<TarIndex> {
  const entries = new Map<string, TarEntry>();
  const block = new Uint8Array(BLOCK);
  const global = new Map<string, string>();
  let local = new Map<string, string>();
  let longName: string | undefined;
  let position = 0;

  const truncated = () => airsignError('TAR_TRUNCATED', `${what} is truncated (ends inside an entry or has no end-of-archive marker)`);
  const readMeta = async (size: number, at: number): Promise<Uint8Array> => {
    if (size > MAX_META_SIZE) throw airsignError('TAR_BAD_HEADER', `extended tar header at offset ${at} is too large`);
    const data = new Uint8Array(size);
    if ((await readFully(file, data, 0, size, at + BLOCK)) !== size) throw truncated();
    return data;
  };

  for (;;) {
    const n = await readFully(file, block, 0, BLOCK, position);
    if (n === 0) {
      if (position === 0) throw airsignError('TAR_EMPTY', `${what} is empty`);
      throw truncated();
    }
    if (n < BLOCK) throw truncated();
    if (isZeroBlock(block)) {
      if (position === 0) throw airsignError('TAR_EMPTY', `${what} is not a tar file (starts with a zero block)`);
      return { entries, end: position + BLOCK };
    }
    const header = decodeHeader(block, position);
    const at = position;
    let size = header.size;
    const type = header.typeflag;
    if (type === 'x' || type === 'g') {
      const records = parsePaxRecords(await readMeta(size, at), at);
      const target = type === 'g' ? global : local;
      for (const [k, v] of records) target.set(k, v);
      position = at + BLOCK + roundUp(size);
      continue;
    }
    if (type === 'L' || type === 'K') {
      const data = await readMeta(size, at);
      if (type === 'L') longName = cString(data);
      position = at + BLOCK + roundUp(size);
      continue;
    }
    const paxPath = local.get('path') ?? global.get('path');
    const paxSize = local.get('size') ?? global.get('size');
    const rawName = paxPath ?? longName ?? header.name;
    if (paxSize !== undefined) {
      if (!/^\d+$/.test(paxSize) || !Number.isSafeInteger(Number(paxSize))) {
        throw airsignError('TAR_BAD_HEADER', `invalid PAX size in tar header at offset ${at}`);
      }
      size = Number(paxSize);
    }
    local = new Map();
    longName = undefined;

    const path = normalizeEntryPath(rawName);
    if (type === '1' || type === '2') {
      throw airsignError('TAR_LINK_ENTRY', `tar entry ${JSON.stringify(rawName)} is a ${type === '1' ? 'hard' : 'symbolic'} link; layouts must hold regular files only`);
    }
    let kind: TarEntry['type'];
    if (type === '0' || type === '7') kind = 'file';
    else if (type === '5') kind = 'directory';
    else throw airsignError('TAR_UNSUPPORTED_ENTRY', `tar entry ${JSON.stringify(rawName)} has unsupported type ${JSON.stringify(type)}`);
    if (kind === 'directory') size = size > 0 ? size : 0;

    const dataStart = at + BLOCK;
    const next = dataStart + roundUp(kind === 'directory' ? header.size : size);
    if (dataStart + size > file.size) throw truncated();

    if (path !== '') {
      const existing = entries.get(path);
      if (existing && (existing.type === 'file' || kind === 'file')) {
        throw airsignError('TAR_DUPLICATE_ENTRY', `${what} has more than one entry named ${JSON.stringify(path)}`);
      }
      if (!existing && entries.size >= MAX_ENTRIES) throw airsignError('TAR_TOO_MANY_ENTRIES', `${what} has more than ${MAX_ENTRIES} entries`);
      if (!existing) entries.set(path, { path, type: kind, offset: dataStart, size: kind === 'file' ? size : 0, mode: header.mode });
    } else if (kind === 'file') {
      throw airsignError('TAR_UNSAFE_PATH', `tar entry ${JSON.stringify(rawName)} has an empty name`);
    }
    position = next;
  }
}

function roundUp(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

function cString(data: Uint8Array): string {
  const nul = data.indexOf(0);
  return decoder.decode(nul === -1 ? data : data.subarray(0, nul));
}
