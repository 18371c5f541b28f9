/**
 * The 512-byte tar header: decoding (ustar, star, GNU and v7 flavours, octal or base-256 numbers,
 * by Go's archive/tar rules) and encoding (plain ustar as Go's archive/tar writes it, plus PAX
 * records when a field overflows).
 */
import { airsignError } from '../errors.js';

export const BLOCK = 512;

/**
 * One header block decoded exactly as Go's archive/tar `readHeader` decodes it (oras-go reads
 * layout tars with it): the same checksum rule, the same numeric parsing (octal trimmed of spaces
 * and NULs at both ends, or base-256), the same format detection (`ustar\0` alone means USTAR; a
 * `tar\0` trailer means star with a 131-byte prefix; GNU headers use the prefix only when their
 * atime/ctime do not parse) and the same prefix joining. Anything Go would reject is refused.
 */
export interface RawHeader {
  /** Name as Go's header-only reader sees it (prefix joined), before PAX or GNU long names. */
  name: string;
  mode: number;
  /** The size field (may be negative, as Go allows for header-only types). */
  size: number;
  /** The raw typeflag character (`\0` kept as is: Go turns it into a file or a directory later). */
  typeflag: string;
}

const decoder = new TextDecoder('utf-8', { fatal: false });
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** Go's parseString: the bytes up to the first NUL. */
function cBytes(block: Uint8Array, start: number, length: number): Uint8Array {
  let end = start;
  while (end < start + length && block[end] !== 0) end++;
  return block.subarray(start, end);
}


/** Decodes a name: Go keeps raw bytes, so two invalid spellings must never collapse into one name. */
export function decodeName(bytes: Uint8Array, at: number): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw airsignError('TAR_BAD_HEADER', `tar entry name at offset ${at} is not UTF-8`);
  }
}

class FieldError extends Error {}

/** Go's parser.parseOctal. */
function parseOctal(block: Uint8Array, start: number, length: number): number {
  let s = start;
  let e = start + length;
  while (s < e && (block[s] === 0x20 || block[s] === 0)) s++;
  while (e > s && (block[e - 1] === 0x20 || block[e - 1] === 0)) e--;
  if (s === e) return 0;
  let value = 0;
  for (let i = s; i < e && block[i] !== 0; i++) {
    const c = block[i]!;
    if (c < 0x30 || c > 0x37) throw new FieldError();
    value = value * 8 + (c - 0x30);
  }
  return value;
}

/** Go's parser.parseNumeric (base-256 or octal); values outside JavaScript's safe range are refused. */
function parseNumeric(block: Uint8Array, start: number, length: number): number {
  if ((block[start]! & 0x80) === 0) return parseOctal(block, start, length);
  const inv = (block[start]! & 0x40) !== 0 ? 0xff : 0;
  let x = 0n;
  for (let i = 0; i < length; i++) {
    let c = block[start + i]! ^ inv;
    if (i === 0) c &= 0x7f;
    if (x >> 56n > 0n) throw new FieldError();
    x = (x << 8n) | BigInt(c);
  }
  if (x >> 63n > 0n) throw new FieldError();
  const value = inv === 0xff ? -x - 1n : x;
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw new FieldError();
  return Number(value);
}

export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** Said when the first header is not a tar header: the usual cause on Windows is a PowerShell pipe. */
export const REENCODED_HINT = 'if it came through a PowerShell pipe or ">", use a file or -o: PowerShell pipes re-encode bytes';

/** Refuses a first block that starts with a text byte-order mark: the tar was re-encoded as text. */
function assertNotReencoded(block: Uint8Array, at: number): void {
  if (at !== 0) return;
  const utf16 = (block[0] === 0xff && block[1] === 0xfe) || (block[0] === 0xfe && block[1] === 0xff);
  if (utf16 || (block[0] === 0xef && block[1] === 0xbb && block[2] === 0xbf)) {
    throw airsignError('TAR_REENCODED', `the tar starts with a ${utf16 ? 'UTF-16' : 'UTF-8'} byte-order mark: it was re-encoded as text (use a file or -o: PowerShell pipes re-encode bytes)`);
  }
}

function bytesAre(block: Uint8Array, start: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (block[start + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** Verifies the header checksum as Go's getFormat does (unsigned or signed sum). */
function hasValidChecksum(block: Uint8Array): boolean {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  try {
    const stored = parseOctal(block, 148, 8);
    return stored === unsigned || stored === signed;
  } catch {
    return false;
  }
}

/**
 * Decodes and checksums one header block read at file offset `at`. A first block that starts with
 * a text byte-order mark (PowerShell 5.1 writes UTF-16LE with FF FE) is refused as re-encoded.
 */
export function decodeHeader(block: Uint8Array, at: number): RawHeader {
  assertNotReencoded(block, at);
  if (!hasValidChecksum(block)) {
    throw airsignError('TAR_BAD_CHECKSUM', `tar header at offset ${at} has a bad checksum (corrupt tar)`);
  }
  const ustar = bytesAre(block, 257, 'ustar\0');
  const star = ustar && bytesAre(block, 508, 'tar\0');
  const gnu = !ustar && bytesAre(block, 257, 'ustar  \0');
  const field = (name: string, start: number, length: number): number => {
    try {
      return parseNumeric(block, start, length);
    } catch {
      throw airsignError('TAR_BAD_HEADER', `invalid ${name} field in tar header at offset ${at}`);
    }
  };
  const size = field('size', 124, 12);
  const mode = field('mode', 100, 8);
  field('uid', 108, 8);
  field('gid', 116, 8);
  field('mtime', 136, 12);
  let prefix: Uint8Array = new Uint8Array(0);
  if (ustar || gnu) {
    field('devmajor', 329, 8);
    field('devminor', 337, 8);
  }
  if (star) {
    prefix = cBytes(block, 345, 131);
    field('atime', 476, 12);
    field('ctime', 488, 12);
  } else if (ustar) {
    prefix = cBytes(block, 345, 155);
  } else if (gnu) {
    let broken = false;
    for (const start of [345, 357]) {
      if (block[start] === 0) continue;
      try {
        parseNumeric(block, start, 12);
      } catch {
        broken = true;
      }
    }
    // Go then reads the USTAR prefix field, when it is ASCII (old Go writers put one there).
    if (broken) {
      const candidate = cBytes(block, 345, 155);
      if (candidate.every((b) => b < 0x80)) prefix = candidate;
    }
  }
  const nameBytes = cBytes(block, 0, 100);
  let name = decodeName(nameBytes, at);
  if (prefix.length > 0) name = `${decodeName(prefix, at)}/${name}`;
  return {
    name,
    mode,
    size,
    typeflag: String.fromCharCode(block[156]!),
  };
}

/** Go's strconv.ParseInt(s, 10, 64) acceptance: an optional sign, decimal digits, within int64. */
export function isGoInt64(s: string): boolean {
  if (!/^[+-]?[0-9]+$/.test(s)) return false;
  const v = BigInt(s);
  return v <= 9223372036854775807n && v >= -9223372036854775808n;
}

/** Go's parsePAXTime acceptance: int64 seconds, optionally `.` and decimal digits. */
export function isGoPaxTime(s: string): boolean {
  const dot = s.indexOf('.');
  if (dot === -1) return isGoInt64(s);
  return isGoInt64(s.slice(0, dot)) && /^[0-9]*$/.test(s.slice(dot + 1));
}

/**
 * Parses PAX extended header records (`<len> <key>=<value>\n`) by Go's parsePAXRecord rules: the
 * length counts bytes, every record must end in a newline, and any malformed byte (a trailing NUL
 * included) rejects the whole header. Later records win.
 */
export function parsePaxRecords(data: Uint8Array, at: number): Map<string, string> {
  const records = new Map<string, string>();
  const bad = () => airsignError('TAR_BAD_HEADER', `malformed PAX header at offset ${at}`);
  let pos = 0;
  while (pos < data.length) {
    let space = pos;
    while (space < data.length && data[space] !== 0x20) space++;
    if (space === data.length) throw bad();
    const lengthText = decoder.decode(data.subarray(pos, space));
    if (!isGoInt64(lengthText)) throw bad();
    const length = Number(lengthText);
    if (length < 5 || length > data.length - pos || length - (space - pos + 1) <= 0) throw bad();
    if (data[pos + length - 1] !== 0x0a) throw bad();
    const record = data.subarray(space + 1, pos + length - 1);
    const eq = record.indexOf(0x3d);
    if (eq === -1) throw bad();
    const keyBytes = record.subarray(0, eq);
    const valueBytes = record.subarray(eq + 1);
    if (keyBytes.length === 0 || keyBytes.includes(0)) throw bad();
    const key = decoder.decode(keyBytes);
    if (valueBytes.includes(0) && (key === 'path' || key === 'linkpath' || key === 'uname' || key === 'gname')) throw bad();
    records.set(key, key === 'path' ? decodeName(valueBytes, at) : decoder.decode(valueBytes));
    pos += length;
  }
  return records;
}

const encoder = new TextEncoder();
export const MAX_OCTAL_SIZE = 0o77777777777; // 11 octal digits: 8 GiB - 1

function writeString(block: Uint8Array, start: number, length: number, value: string): void {
  const bytes = encoder.encode(value);
  if (bytes.length > length) throw new RangeError(`tar field overflow: ${value}`);
  block.set(bytes, start);
}

function writeOctal(block: Uint8Array, start: number, length: number, value: number): void {
  writeString(block, start, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

/** Splits a path into ustar prefix + name, or returns undefined when it does not fit. */
function splitUstarName(path: string): { prefix: string; name: string } | undefined {
  const bytes = encoder.encode(path).length;
  if (bytes <= 100) return { prefix: '', name: path };
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== '/') continue;
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (encoder.encode(prefix).length <= 155 && encoder.encode(name).length <= 100 && name !== '') return { prefix, name };
  }
  return undefined;
}

export interface HeaderFields {
  path: string;
  size: number;
  mode: number;
  type: 'file' | 'directory';
}

function ustarBlock(path: string, prefix: string, size: number, mode: number, typeflag: string): Uint8Array {
  const block = new Uint8Array(BLOCK);
  writeString(block, 0, 100, path);
  writeOctal(block, 100, 8, mode);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, 0);
  block[156] = typeflag.charCodeAt(0);
  writeString(block, 257, 6, 'ustar\0');
  writeString(block, 263, 2, '00');
  writeOctal(block, 329, 8, 0);
  writeOctal(block, 337, 8, 0);
  writeString(block, 345, 155, prefix);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i]!;
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = encoder.encode(body).length;
  let digits = String(length).length;
  while (String(length + digits).length !== digits) digits++;
  length += digits;
  return `${length}${body}`;
}

/**
 * Encodes the header block(s) for one entry: plain ustar, preceded by a PAX `x` header only when
 * the path or size does not fit (as Go's archive/tar does), so peers that ignore PAX still work
 * for ordinary entries.
 */
export function encodeHeader(fields: HeaderFields): Uint8Array {
  const name = fields.type === 'directory' && !fields.path.endsWith('/') ? `${fields.path}/` : fields.path;
  const split = splitUstarName(name);
  const sizeFits = fields.size <= MAX_OCTAL_SIZE;
  const typeflag = fields.type === 'directory' ? '5' : '0';
  if (split && sizeFits) return ustarBlock(split.name, split.prefix, fields.size, fields.mode, typeflag);
  let records = '';
  if (!split) records += paxRecord('path', name);
  if (!sizeFits) records += paxRecord('size', String(fields.size));
  const data = encoder.encode(records);
  const padded = Math.ceil(data.length / BLOCK) * BLOCK;
  const base = name.slice(name.lastIndexOf('/', name.length - 2) + 1).slice(0, 80);
  const paxHeader = ustarBlock(`PaxHeaders.0/${base}`.slice(0, 100), '', data.length, 0o644, 'x');
  const fallback = split ?? { prefix: '', name: name.slice(0, 100) };
  const main = ustarBlock(fallback.name, fallback.prefix, sizeFits ? fields.size : 0, fields.mode, typeflag);
  const out = new Uint8Array(BLOCK + padded + BLOCK);
  out.set(paxHeader, 0);
  out.set(data, BLOCK);
  out.set(main, BLOCK + padded);
  return out;
}

/** Zero bytes needed after `size` bytes of data to reach a block boundary. */
export function paddingFor(size: number): number {
  const rest = size % BLOCK;
  return rest === 0 ? 0 : BLOCK - rest;
}
