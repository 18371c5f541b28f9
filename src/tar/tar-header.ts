/**
 * The 512-byte tar header: decoding (ustar, GNU and v7 flavours, octal or base-256 numbers) and
 * encoding (plain ustar as Go's archive/tar writes it, plus PAX records when a field overflows).
 */
import { airsignError } from '../errors.js';

export const BLOCK = 512;

export interface RawHeader {
  /** The entry name; the ustar `prefix` joined to it when the magic says ustar (not GNU). */
  name: string;
  mode: number;
  size: number;
  typeflag: string;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

function cString(block: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && block[end] !== 0) end++;
  return decoder.decode(block.subarray(start, end));
}

function parseNumber(block: Uint8Array, start: number, length: number, field: string, at: number): number {
  if ((block[start]! & 0x80) !== 0) {
    // GNU base-256: big-endian two's complement with the top bit of the first byte as marker.
    if ((block[start]! & 0x40) !== 0) throw airsignError('TAR_BAD_HEADER', `negative ${field} in tar header at offset ${at}`);
    let value = block[start]! & 0x3f;
    for (let i = start + 1; i < start + length; i++) {
      value = value * 256 + block[i]!;
      if (!Number.isSafeInteger(value)) throw airsignError('TAR_BAD_HEADER', `${field} too large in tar header at offset ${at}`);
    }
    return value;
  }
  const text = cString(block, start, length).replace(/ /g, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw airsignError('TAR_BAD_HEADER', `invalid ${field} field in tar header at offset ${at}`);
  const value = parseInt(text, 8);
  if (!Number.isSafeInteger(value)) throw airsignError('TAR_BAD_HEADER', `${field} too large in tar header at offset ${at}`);
  return value;
}

export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** Said when the first header is not a tar header: the usual cause on Windows is a PowerShell pipe. */
const REENCODED_HINT = 'if it came through a PowerShell pipe or ">", use a file or -o: PowerShell pipes re-encode bytes';

/**
 * Decodes and checksums one header block read at file offset `at`. A first block that starts with
 * a text byte-order mark (PowerShell 5.1 writes UTF-16LE with FF FE) is refused as re-encoded.
 */
export function decodeHeader(block: Uint8Array, at: number): RawHeader {
  if (at === 0 && ((block[0] === 0xff && block[1] === 0xfe) || (block[0] === 0xfe && block[1] === 0xff) || (block[0] === 0xef && block[1] === 0xbb && block[2] === 0xbf))) {
    throw airsignError('TAR_REENCODED', `the tar starts with a ${block[0] === 0xef ? 'UTF-8' : 'UTF-16'} byte-order mark: it was re-encoded as text (use a file or -o: PowerShell pipes re-encode bytes)`);
  }
  const hint = at === 0 ? `; ${REENCODED_HINT}` : '';
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  const stored = cString(block, 148, 8).trim();
  if (!/^[0-7]+$/.test(stored)) throw airsignError('TAR_BAD_CHECKSUM', `tar header at offset ${at} has no valid checksum (not a tar file, or corrupt${hint})`);
  const checksum = parseInt(stored, 8);
  if (checksum !== unsigned && checksum !== signed) {
    throw airsignError('TAR_BAD_CHECKSUM', `tar header at offset ${at} has a bad checksum (corrupt tar${hint})`);
  }
  let name = cString(block, 0, 100);
  const magic = cString(block, 257, 6);
  const version = decoder.decode(block.subarray(263, 265));
  if (magic === 'ustar' && version === '00') {
    const prefix = cString(block, 345, 155);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  const typeflag = block[156] === 0 ? '0' : String.fromCharCode(block[156]!);
  return {
    name,
    mode: parseNumber(block, 100, 8, 'mode', at),
    size: parseNumber(block, 124, 12, 'size', at),
    typeflag,
  };
}

/** Parses PAX extended header records (`<len> <key>=<value>\n`). */
export function parsePaxRecords(data: Uint8Array, at: number): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break;
    let space = pos;
    while (space < data.length && data[space] !== 0x20) space++;
    const length = Number(decoder.decode(data.subarray(pos, space)));
    if (!Number.isSafeInteger(length) || length <= space - pos || pos + length > data.length || data[pos + length - 1] !== 0x0a) {
      throw airsignError('TAR_BAD_HEADER', `malformed PAX header at offset ${at}`);
    }
    const record = decoder.decode(data.subarray(space + 1, pos + length - 1));
    const eq = record.indexOf('=');
    if (eq <= 0) throw airsignError('TAR_BAD_HEADER', `malformed PAX record at offset ${at}`);
    records.set(record.slice(0, eq), record.slice(eq + 1));
    pos += length;
  }
  return records;
}

const encoder = new TextEncoder();
const MAX_OCTAL_SIZE = 0o77777777777; // 11 octal digits: 8 GiB - 1

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
