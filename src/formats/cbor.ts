/**
 * A small CBOR (RFC 8949) encoder and decoder, enough for COSE_Sign1 envelopes.
 *
 * The encoder always writes Core Deterministic Encoding (RFC 8949 §4.2.1): smallest integer and
 * length forms, definite lengths only, map keys sorted bytewise by their encoded form. The decoder
 * accepts only well-formed, definite-length items with no trailing bytes and no duplicate map keys,
 * and it keeps every map as a `Map` so integer and text labels stay distinct.
 *
 * Values: integers as `number` (safe range) or `bigint`, `Uint8Array` (byte string), `string`,
 * arrays, `Map` (or a plain object with text keys, encoder only), `CborTag`, booleans, `null`,
 * `undefined`. Floating-point numbers are decoded but never encoded (COSE headers here need none).
 */
import { airsignError } from '../errors.js';

export type CborValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | undefined
  | Uint8Array
  | CborValue[]
  | Map<CborValue, CborValue>
  | CborTag
  | { readonly [key: string]: CborValue };

/** A tagged item, e.g. `new CborTag(1, 1678769122)` for an epoch time or tag 18 for COSE_Sign1. */
export class CborTag {
  constructor(
    readonly tag: number,
    readonly value: CborValue,
  ) {}
}

const MAX_DEPTH = 64;

/** Encodes `value` in Core Deterministic CBOR. Throws CBOR_UNENCODABLE for values CBOR cannot hold here. */
export function encodeCbor(value: CborValue): Uint8Array {
  const out: number[] = [];
  encodeInto(value, out, 0);
  return Uint8Array.from(out);
}

function encodeInto(value: CborValue, out: number[], depth: number): void {
  if (depth > MAX_DEPTH) throw unencodable('nesting too deep');
  if (value === false) {
    out.push(0xf4);
  } else if (value === true) {
    out.push(0xf5);
  } else if (value === null) {
    out.push(0xf6);
  } else if (value === undefined) {
    out.push(0xf7);
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw unencodable(`number ${value} is not a safe integer`);
    if (value >= 0) writeHead(0, BigInt(value), out);
    else writeHead(1, BigInt(-1 - value), out);
  } else if (typeof value === 'bigint') {
    if (value >= 0n) writeHead(0, value, out);
    else writeHead(1, -1n - value, out);
  } else if (typeof value === 'string') {
    const bytes = new TextEncoder().encode(value);
    writeHead(3, BigInt(bytes.length), out);
    pushBytes(bytes, out);
  } else if (value instanceof Uint8Array) {
    writeHead(2, BigInt(value.length), out);
    pushBytes(value, out);
  } else if (Array.isArray(value)) {
    writeHead(4, BigInt(value.length), out);
    for (const item of value) encodeInto(item, out, depth + 1);
  } else if (value instanceof CborTag) {
    if (!Number.isSafeInteger(value.tag) || value.tag < 0) throw unencodable(`bad tag ${value.tag}`);
    writeHead(6, BigInt(value.tag), out);
    encodeInto(value.value, out, depth + 1);
  } else {
    const entries: [CborValue, CborValue][] = value instanceof Map ? [...value.entries()] : Object.entries(value);
    const encoded = entries.map(([k, v]) => {
      const key: number[] = [];
      encodeInto(k, key, depth + 1);
      return { key, v };
    });
    encoded.sort((a, b) => compareBytes(a.key, b.key));
    for (let i = 1; i < encoded.length; i++) {
      if (compareBytes(encoded[i - 1]!.key, encoded[i]!.key) === 0) throw unencodable('duplicate map key');
    }
    writeHead(5, BigInt(encoded.length), out);
    for (const { key, v } of encoded) {
      pushBytes(key, out);
      encodeInto(v, out, depth + 1);
    }
  }
}

function writeHead(major: number, argument: bigint, out: number[]): void {
  const m = major << 5;
  if (argument < 24n) {
    out.push(m | Number(argument));
  } else if (argument < 0x100n) {
    out.push(m | 24, Number(argument));
  } else if (argument < 0x10000n) {
    out.push(m | 25, Number(argument >> 8n), Number(argument & 0xffn));
  } else if (argument < 0x100000000n) {
    out.push(m | 26);
    for (let shift = 24n; shift >= 0n; shift -= 8n) out.push(Number((argument >> shift) & 0xffn));
  } else if (argument < 0x10000000000000000n) {
    out.push(m | 27);
    for (let shift = 56n; shift >= 0n; shift -= 8n) out.push(Number((argument >> shift) & 0xffn));
  } else {
    throw unencodable('integer does not fit in 64 bits');
  }
}

function pushBytes(bytes: ArrayLike<number>, out: number[]): void {
  for (let i = 0; i < bytes.length; i++) out.push(bytes[i]!);
}

function compareBytes(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

function unencodable(message: string) {
  return airsignError('CBOR_UNENCODABLE', `cannot encode as CBOR: ${message}`);
}

/**
 * Decodes exactly one CBOR item filling all of `bytes`. Maps come back as `Map`; integers beyond
 * the safe range as `bigint`. Throws CBOR_MALFORMED (kind input) on anything else.
 */
export function decodeCbor(bytes: Uint8Array): CborValue {
  const reader = new Reader(bytes);
  const value = reader.item(0);
  if (reader.offset !== bytes.length) throw malformed(`${bytes.length - reader.offset} trailing bytes`);
  return value;
}

class Reader {
  constructor(
    private readonly bytes: Uint8Array,
    public offset = 0,
  ) {}

  item(depth: number): CborValue {
    if (depth > MAX_DEPTH) throw malformed('nesting too deep');
    const initial = this.byte();
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (major === 7) return this.simple(info);
    if (info === 31) throw malformed('indefinite-length items are not allowed');
    const argument = this.argument(info);
    switch (major) {
      case 0:
        return toNumber(argument);
      case 1:
        return toNumber(-1n - argument);
      case 2:
        return this.take(argument).slice();
      case 3: {
        const raw = this.take(argument);
        try {
          return new TextDecoder('utf-8', { fatal: true }).decode(raw);
        } catch {
          throw malformed('text string is not valid UTF-8');
        }
      }
      case 4: {
        const length = this.count(argument);
        const items: CborValue[] = [];
        for (let i = 0; i < length; i++) items.push(this.item(depth + 1));
        return items;
      }
      case 5: {
        const length = this.count(argument);
        const map = new Map<CborValue, CborValue>();
        const seen = new Set<string>();
        for (let i = 0; i < length; i++) {
          const keyStart = this.offset;
          const key = this.item(depth + 1);
          const keyId = Buffer.from(this.bytes.subarray(keyStart, this.offset)).toString('hex');
          if (seen.has(keyId)) throw malformed('duplicate map key');
          seen.add(keyId);
          map.set(key, this.item(depth + 1));
        }
        return map;
      }
      default: {
        if (argument > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed('tag number too large');
        return new CborTag(Number(argument), this.item(depth + 1));
      }
    }
  }

  private simple(info: number): CborValue {
    switch (info) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 23:
        return undefined;
      case 25:
        return halfToNumber((this.byte() << 8) | this.byte());
      case 26:
        return new DataView(this.take(4n).slice().buffer).getFloat32(0);
      case 27:
        return new DataView(this.take(8n).slice().buffer).getFloat64(0);
      default:
        throw malformed(`unsupported simple value ${info}`);
    }
  }

  private argument(info: number): bigint {
    if (info < 24) return BigInt(info);
    const width = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (width === 0) throw malformed(`reserved additional information ${info}`);
    let value = 0n;
    for (let i = 0; i < width; i++) value = (value << 8n) | BigInt(this.byte());
    return value;
  }

  private count(argument: bigint): number {
    // Every element takes at least one byte, so a count beyond what is left is malformed.
    if (argument > BigInt(this.bytes.length - this.offset)) throw malformed('length exceeds the data');
    return Number(argument);
  }

  private take(length: bigint): Uint8Array {
    if (length > BigInt(this.bytes.length - this.offset)) throw malformed('length exceeds the data');
    const n = Number(length);
    const slice = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return slice;
  }

  private byte(): number {
    if (this.offset >= this.bytes.length) throw malformed('unexpected end of data');
    return this.bytes[this.offset++]!;
  }
}

function toNumber(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function halfToNumber(half: number): number {
  const exponent = (half >> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  const sign = half & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (mantissa + 1024) * 2 ** (exponent - 25);
}

function malformed(message: string) {
  return airsignError('CBOR_MALFORMED', `malformed CBOR: ${message}`);
}
