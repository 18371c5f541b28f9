/**
 * Reads OpenPGP packets (RFC 4880 §4 / RFC 9580 §4): old- and new-format headers, every length
 * form (including partial body lengths and the old indeterminate length), and compressed data
 * packets (ZIP, ZLIB and BZip2 — the last with the seek-bzip package; uncompressed). Bounded: a packet may not claim more bytes than remain,
 * and decompression stops at a fixed size. Errors are AirsignErrors with the code the caller picks
 * (a malformed signature is a rejected signature; a malformed keyring is bad input).
 */
import Bunzip from 'seek-bzip';
import { airsignError, type ErrorCode } from '../../errors.js';
import { concatBytes } from './packets.js';

export interface Packet {
  tag: number;
  body: Uint8Array;
}

/** Largest decompressed message we read (simple-signing payloads are a few hundred bytes). */
const MAX_DECOMPRESSED = 16 * 1024 * 1024;
const MAX_PACKETS = 10_000;

/** node:zlib, loaded on the first compressed packet rather than at start-up. */
const zlib = () => process.getBuiltinModule('node:zlib');

/** Splits `data` into packets; throws `code` naming the problem. */
export function readPackets(data: Uint8Array, code: ErrorCode, what: string): Packet[] {
  const fail = (message: string): never => {
    throw airsignError(code, `${what} is not valid OpenPGP data: ${message}`);
  };
  const packets: Packet[] = [];
  let pos = 0;
  while (pos < data.length) {
    if (packets.length >= MAX_PACKETS) fail('too many packets');
    const ctb = data[pos++]!;
    if ((ctb & 0x80) === 0) fail(`byte ${pos - 1} is not a packet header`);
    let tag: number;
    let body: Uint8Array;
    if ((ctb & 0x40) !== 0) {
      tag = ctb & 0x3f;
      const parts: Uint8Array[] = [];
      for (;;) {
        if (pos >= data.length) fail('truncated packet length');
        const first = data[pos++]!;
        let length: number;
        let partial = false;
        if (first < 192) length = first;
        else if (first < 224) {
          if (pos >= data.length) fail('truncated packet length');
          length = ((first - 192) << 8) + data[pos++]! + 192;
        } else if (first === 255) {
          if (pos + 4 > data.length) fail('truncated packet length');
          length = ((data[pos]! << 24) >>> 0) + (data[pos + 1]! << 16) + (data[pos + 2]! << 8) + data[pos + 3]!;
          pos += 4;
        } else {
          length = 1 << (first & 0x1f);
          partial = true;
        }
        if (pos + length > data.length) fail('a packet is longer than the data');
        parts.push(data.subarray(pos, pos + length));
        pos += length;
        if (!partial) break;
      }
      body = parts.length === 1 ? parts[0]! : concatBytes(...parts);
    } else {
      tag = (ctb >> 2) & 0x0f;
      const lengthType = ctb & 3;
      let length: number;
      if (lengthType === 3) length = data.length - pos;
      else {
        const n = 1 << lengthType;
        if (pos + n > data.length) fail('truncated packet length');
        length = 0;
        for (let i = 0; i < n; i++) length = length * 256 + data[pos + i]!;
        pos += n;
      }
      if (pos + length > data.length) fail('a packet is longer than the data');
      body = data.subarray(pos, pos + length);
      pos += length;
    }
    packets.push({ tag, body });
  }
  return packets;
}

/** The contents of a compressed data packet (tag 8). */
export function decompress(body: Uint8Array, code: ErrorCode, what: string): Uint8Array {
  if (body.length === 0) throw airsignError(code, `${what}: empty compressed packet`);
  const algorithm = body[0]!;
  const data = body.subarray(1);
  try {
    switch (algorithm) {
      case 0:
        return data;
      case 1:
        return new Uint8Array(zlib().inflateRawSync(data, { maxOutputLength: MAX_DECOMPRESSED }));
      case 2:
        return new Uint8Array(zlib().inflateSync(data, { maxOutputLength: MAX_DECOMPRESSED }));
      case 3:
        return bunzip2(data);
      default:
        throw airsignError(code, `${what}: compression algorithm ${algorithm} is not supported (ZIP, ZLIB and BZip2 are)`);
    }
  } catch (e) {
    if (e instanceof Error && 'kind' in e) throw e;
    throw airsignError(code, `${what}: the compressed data is corrupt (${(e as Error).message})`, { cause: e });
  }
}

/** BZip2 (RFC 4880 §9.3, algorithm 3), bounded like the others; a truncated stream is corrupt. */
function bunzip2(data: Uint8Array): Uint8Array {
  const chunks: Uint8Array[] = [];
  let chunk = new Uint8Array(4096);
  let used = 0;
  let total = 0;
  const output = {
    writeByte(byte: number) {
      if (++total > MAX_DECOMPRESSED) throw new Error(`more than ${MAX_DECOMPRESSED} bytes`);
      if (used === chunk.length) {
        chunks.push(chunk);
        chunk = new Uint8Array(chunk.length * 2);
        used = 0;
      }
      chunk[used++] = byte;
    },
  };
  let pos = 0;
  const readByte = (): number => {
    if (pos >= data.length) throw new Error('the data ends early');
    return data[pos++]!;
  };
  const input = {
    readByte,
    read(buffer: Uint8Array, offset: number, length: number): number {
      for (let i = 0; i < length; i++) buffer[offset + i] = readByte();
      return length;
    },
    seek: (to: number) => { pos = to; },
    eof: () => pos >= data.length,
  };
  Bunzip.decode(input, output);
  chunks.push(chunk.subarray(0, used));
  return concatBytes(...chunks);
}

/** An MPI at `pos`: its magnitude and the position after it. */
export function readMpi(body: Uint8Array, pos: number, fail: (message: string) => never): { value: Uint8Array; next: number } {
  if (pos + 2 > body.length) fail('truncated MPI');
  const bits = (body[pos]! << 8) | body[pos + 1]!;
  const bytes = (bits + 7) >> 3;
  if (pos + 2 + bytes > body.length) fail('truncated MPI');
  return { value: body.subarray(pos + 2, pos + 2 + bytes), next: pos + 2 + bytes };
}

/** Decodes ASCII-armored data (every block, concatenated), or returns binary data unchanged. */
export function dearmorIfArmored(data: Uint8Array, code: ErrorCode, what: string): Uint8Array {
  const head = new TextDecoder('latin1').decode(data.subarray(0, Math.min(data.length, 4096)));
  if (!head.includes('-----BEGIN PGP ')) return data;
  const text = new TextDecoder('latin1').decode(data);
  const blocks = [...text.matchAll(/-----BEGIN PGP ([A-Z ,0-9/]+)-----\r?\n([\s\S]*?)-----END PGP \1-----/g)];
  if (blocks.length === 0) throw airsignError(code, `${what}: unterminated ASCII armor`);
  const out: Uint8Array[] = [];
  for (const block of blocks) {
    const lines = block[2]!.split(/\r?\n/);
    const blank = lines.findIndex((l) => l.trim() === '');
    const bodyLines = (blank >= 0 ? lines.slice(blank + 1) : lines).map((l) => l.trim()).filter((l) => l !== '' && !/^=[A-Za-z0-9+/]{4}$/.test(l));
    const b64 = bodyLines.join('');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw airsignError(code, `${what}: the ASCII armor is not valid base64`);
    out.push(new Uint8Array(Buffer.from(b64, 'base64')));
  }
  return concatBytes(...out);
}
