/**
 * Shared machinery of the hostile-input fuzz suites (issue 10 item 5), so every suite asks the
 * same question of every input — "accepted, or refused with a clean AirsignError?" — and reports
 * the same figures: cases run per area, crashes (always 0 when the suite passes) and the seed.
 *
 * - clean(): runs one case; anything thrown must be an AirsignError with a code from ERROR_CODES
 *   and a non-empty one-line message without control characters. Any other throw fails the
 *   property, fast-check shrinks it and prints the seed and path that replay it.
 * - parameters(): one seed per file (FUZZ_SEED=<n> replays a reported run), a per-property
 *   time budget (interruptAfterTimeLimit, not counted as a failure; FUZZ_SCALE=<k> runs k times
 *   longer) and a per-case timeout for async properties, so a hang fails the property instead of
 *   the whole CI job.
 * - Mutations that get past the first check: byte edits of real inputs (flips, interesting bytes,
 *   truncation, insertion, deletion, duplicated slices, length fields set to edge values) and JSON
 *   structural edits (another type, huge numbers, deep nesting, duplicate keys, __proto__ keys).
 * - Unhandled rejections are recorded while a suite runs; the summary asserts there were none.
 */
import fc from 'fast-check';
import { ERROR_CODES, isAirsignError } from '../../src/errors.js';
import { concat } from './raw-tar.js';

// eslint-disable-next-line no-control-regex -- control characters are what we look for
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/;

/** One fuzz suite's bookkeeping: cases per area, the seed, unhandled rejections seen. */
export class FuzzSuite {
  readonly counts: Record<string, number> = {};
  /** Per area, how many cases were accepted (the rest were refused cleanly). */
  readonly accepted: Record<string, number> = {};
  readonly seed: number;
  readonly rejections: unknown[] = [];
  private readonly onRejection = (reason: unknown) => void this.rejections.push(reason);

  constructor(readonly name: string) {
    const fromEnv = process.env.FUZZ_SEED;
    this.seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) | 0 : (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;
    process.on('unhandledRejection', this.onRejection);
  }

  /**
   * fc.assert parameters: this suite's seed, at most `numRuns` cases within `timeLimitMs` (both
   * multiplied by FUZZ_SCALE, default 1, for a longer hunt than CI's); one case taking longer
   * than `caseTimeoutMs` fails the property as a hang.
   */
  parameters<T>(numRuns: number, timeLimitMs: number, caseTimeoutMs = 20_000): fc.Parameters<T> {
    const scale = Number(process.env.FUZZ_SCALE ?? '1') || 1;
    return {
      seed: this.seed,
      numRuns: Math.ceil(numRuns * scale),
      interruptAfterTimeLimit: Math.ceil(timeLimitMs * scale),
      markInterruptAsFailure: false,
      timeout: caseTimeoutMs,
    };
  }

  /** Runs one case of `area`: 'ok' when accepted, 'refused' for a clean AirsignError; throws otherwise. */
  async clean(area: string, target: () => unknown): Promise<'ok' | 'refused'> {
    this.counts[area] = (this.counts[area] ?? 0) + 1;
    try {
      await target();
    } catch (error) {
      return refusal(area, error);
    }
    this.accepted[area] = (this.accepted[area] ?? 0) + 1;
    return 'ok';
  }

  total(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }

  /** The one-line summary the lead quotes; call from afterAll. Throws if a rejection went unhandled. */
  finish(startedAt: number): string {
    process.off('unhandledRejection', this.onRejection);
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    const line = `fuzz: ${this.total()} cases, 0 crashes, ${this.rejections.length} unhandled rejections (${this.name}, seed ${this.seed}, ${seconds} s); cases (accepted) per area: ${Object.entries(this.counts).map(([a, n]) => `${a} ${n} (${this.accepted[a] ?? 0})`).join(', ')}`;
    console.log(line);
    if (this.rejections.length > 0) throw new Error(`unhandled rejection during fuzzing: ${String(this.rejections[0])}`);
    return line;
  }
}

/** 'refused' when `error` is a clean AirsignError; otherwise throws, naming the area (the cause attached). */
export function refusal(area: string, error: unknown): 'refused' {
  if (!isAirsignError(error)) {
    const e = error as Error;
    throw new Error(`${area}: crash (exit 70): ${e?.constructor?.name ?? typeof error}: ${e?.message ?? String(error)}`, { cause: error });
  }
  if (!(error.code in ERROR_CODES)) throw new Error(`${area}: unknown error code ${error.code}`, { cause: error });
  if (error.message === '' || CONTROL.test(error.message)) {
    throw new Error(`${area}: ${error.code} message is not one clean line: ${JSON.stringify(error.message)}`, { cause: error });
  }
  return 'refused';
}

// ---------------------------------------------------------------------------------------------
// Byte mutations

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x22, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x5c, 0x3d, 0x2d, 0x0a, 0x20, 0xc0, 0xfe];
const INTERESTING_INTS = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

export type ByteEdit =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; byte: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; length: number }
  | { op: 'int'; at: number; width: number; value: number }
  | { op: 'repeat'; from: number; length: number; to: number };

export const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.oneof(fc.constantFrom(...INTERESTING_BYTES), fc.integer({ min: 0, max: 255 })) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 32 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('int' as const), at: fc.nat(), width: fc.constantFrom(1, 2, 4), value: fc.oneof(fc.constantFrom(...INTERESTING_INTS), fc.nat()) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('repeat' as const), from: fc.nat(), length: fc.integer({ min: 1, max: 64 }), to: fc.nat() }) },
);

/** One to four byte edits. */
export const byteEdits = fc.array(byteEdit, { minLength: 1, maxLength: 4 });

/** Applies `edits` to a copy of `input` (positions taken modulo the current length). */
export function applyByteEdits(input: Uint8Array, edits: readonly ByteEdit[]): Uint8Array {
  let bytes: Uint8Array = Uint8Array.from(input);
  for (const e of edits) {
    const n = bytes.length;
    switch (e.op) {
      case 'flip':
        if (n > 0) bytes[e.at % n] = bytes[e.at % n]! ^ (1 << e.bit);
        break;
      case 'set':
        if (n > 0) bytes[e.at % n] = e.byte;
        break;
      case 'truncate':
        bytes = bytes.slice(0, e.at % (n + 1));
        break;
      case 'insert': {
        const at = e.at % (n + 1);
        bytes = concat([bytes.subarray(0, at), e.bytes, bytes.subarray(at)]);
        break;
      }
      case 'delete': {
        const at = e.at % (n + 1);
        bytes = concat([bytes.subarray(0, at), bytes.subarray(at + e.length)]);
        break;
      }
      case 'int': {
        if (n < e.width) break;
        const at = e.at % (n - e.width + 1);
        for (let i = 0; i < e.width; i++) bytes[at + i] = Math.floor(e.value / 256 ** (e.width - 1 - i)) & 0xff;
        break;
      }
      case 'repeat': {
        if (n === 0) break;
        const from = e.from % n;
        const to = e.to % (n + 1);
        bytes = concat([bytes.subarray(0, to), bytes.subarray(from, from + e.length), bytes.subarray(to)]);
        break;
      }
    }
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// JSON structural mutations

/** JSON text inserted verbatim (huge numbers, deep nesting, lone surrogates). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** An object written with its entries as given: duplicate keys and `__proto__` keys survive. */
export class JsonEntries {
  constructor(readonly entries: Array<[string, unknown]>) {}
}

/** JSON text of `value`, honouring RawJson and JsonEntries. */
export function jsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof JsonEntries) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : jsonText(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${jsonText((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Values an attacker puts where a parser expects something else. */
export const oddJsonValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom<unknown>(
      null, true, false, 0, -1, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), 1e308, '', ' ', '*', '\u0000', 'a\nb', '\u2028', '\u001b[31m', '..', '../x',
      'sha256:', `sha256:${'a'.repeat(64)}`, `sha512:${'b'.repeat(128)}`, `sha256:${'G'.repeat(64)}`, 'ſize', 'application/vnd.oci.image.manifest.v1+json',
      'docker.io/library/busybox:latest', 'UPPER/Case:tag', 'x509.subject:C=US', '1.0', 'strict', 'skip', [], {}, [null], [[]], { '': '' },
      '2023-06-27T13:30:33+08:00', '9999-12-31T23:59:59Z', '0000-01-01T00:00:00Z', '2023-02-30T00:00:00Z', '2023-06-27T13:30:60Z', '2023-06-27t13:30:33z',
      '2023-06-27T13:30:33.123456789+14:00', '+275760-09-13T00:00:00Z', '1970-01-01T00:00:00-23:59',
    ),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      new RawJson('1e400'), new RawJson('-1e400'), new RawJson('123456789012345678901234567890'), new RawJson('-0'), new RawJson('0.0000000000000000000001'),
      new RawJson('"\\ud800"'), new RawJson('"\\u0000"'), new RawJson(`${'['.repeat(3000)}${']'.repeat(3000)}`),
      new RawJson(`${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}`), new RawJson('{"__proto__":{"polluted":true}}'),
      new RawJson('{"constructor":{"prototype":{"polluted":true}}}'), new RawJson('{"toString":1,"valueOf":null}'), new RawJson('{"toJSON":"x"}'), new RawJson(`"${'a'.repeat(70000)}"`), new RawJson(`[${'0,'.repeat(5000)}0]`),
    ),
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 24, unit: 'binary' }) },
);

export interface JsonEdit {
  path: number[];
  op: 'set' | 'leaf' | 'delete' | 'rename' | 'duplicate' | 'proto' | 'wrap';
  value: unknown;
  pick: number;
}

export const jsonEdit: fc.Arbitrary<JsonEdit> = fc.record({
  path: fc.array(fc.nat(), { maxLength: 6 }),
  op: fc.constantFrom('set', 'set', 'leaf', 'leaf', 'leaf', 'delete', 'rename', 'duplicate', 'proto', 'wrap'),
  value: oddJsonValue,
  pick: fc.nat(),
});

/** One to three structural edits. */
export const jsonEdits = fc.array(jsonEdit, { minLength: 1, maxLength: 3 });

const RENAMES = (key: string) => ['__proto__', 'constructor', 'toString', 'valueOf', key.toUpperCase(), `${key} `, '', key.replace(/s/, 'ſ'), `${key}\u0000`];

/**
 * Applies structural edits to a deep copy of the JSON value `doc` and returns its JSON text. Each
 * edit walks `path` (indexes into the keys of objects and arrays, modulo their size) and changes
 * the slot it ends on.
 */
export function mutateJson(doc: unknown, edits: readonly JsonEdit[]): string {
  const holder: Record<string, unknown> = { root: JSON.parse(JSON.stringify(doc)) as unknown };
  for (const edit of edits) {
    // Generated values are shared with fast-check (shrinking reuses them): edit a copy.
    const e = { ...edit, value: copyValue(edit.value) };
    // Walk down: `parent[key]` is the slot the edit changes; `grand[parentKey]` holds parent.
    let grand: Record<string | number, unknown> | undefined;
    let parentKey: string | number = 'root';
    let parent: Record<string | number, unknown> = holder;
    let key: string | number = 'root';
    for (const step of e.path) {
      const child = parent[key];
      if (child === null || typeof child !== 'object' || child instanceof RawJson || child instanceof JsonEntries) break;
      const keys: Array<string | number> = Array.isArray(child) ? child.map((_, i) => i) : Object.keys(child);
      if (keys.length === 0) break;
      grand = parent;
      parentKey = key;
      parent = child as Record<string | number, unknown>;
      key = keys[step % keys.length]!;
    }
    switch (e.op) {
      case 'set':
        setOwn(parent, key, e.value);
        break;
      case 'leaf': {
        // Any slot of the document, deep ones as likely as shallow ones (e.g. subject[0].digest.sha256).
        const slots = slotsOf(holder);
        const [container, slot] = slots[e.pick % slots.length]!;
        setOwn(container, slot, e.value);
        break;
      }
      case 'delete':
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else if (parent !== holder) delete parent[key];
        break;
      case 'rename': {
        if (Array.isArray(parent) || parent === holder || typeof key !== 'string') break;
        const names = RENAMES(key);
        const to = names[e.pick % names.length]!;
        const value = parent[key];
        delete parent[key];
        Object.defineProperty(parent, to, { value, enumerable: true, writable: true, configurable: true });
        break;
      }
      case 'duplicate':
        // parent becomes an object with `key` twice: the original value, then the odd one (or the reverse).
        if (grand !== undefined && !Array.isArray(parent) && parent !== holder) {
          const entries = Object.keys(parent).map((k): [string, unknown] => [k, parent[k]]);
          const extra: [string, unknown] = [String(key), e.value];
          if (e.pick % 2 === 0) entries.push(extra);
          else entries.unshift(extra);
          setOwn(grand, parentKey, new JsonEntries(entries));
        }
        break;
      case 'proto':
        if (!Array.isArray(parent) && parent !== holder) {
          Object.defineProperty(parent, '__proto__', { value: e.value, enumerable: true, writable: true, configurable: true });
        } else setOwn(parent, key, new RawJson(`{"__proto__":${jsonText(parent[key])}}`));
        break;
      case 'wrap': {
        const depth = 1 + (e.pick % 40);
        const inner = jsonText(parent[key]);
        setOwn(parent, key, new RawJson(e.pick % 2 === 0 ? `${'['.repeat(depth)}${inner}${']'.repeat(depth)}` : `${'{"x":'.repeat(depth)}${inner}${'}'.repeat(depth)}`));
        break;
      }
    }
  }
  return jsonText(holder.root);
}

/** Every (container, key) slot under `holder.root`, depth first (bounded). */
function slotsOf(holder: Record<string, unknown>): Array<[Record<string | number, unknown>, string | number]> {
  const out: Array<[Record<string | number, unknown>, string | number]> = [[holder, 'root']];
  const visit = (value: unknown, depth: number) => {
    if (value === null || typeof value !== 'object' || value instanceof RawJson || value instanceof JsonEntries || depth > 12 || out.length > 2000) return;
    const container = value as Record<string | number, unknown>;
    const keys: Array<string | number> = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
    for (const k of keys) {
      out.push([container, k]);
      visit(container[k], depth + 1);
    }
  };
  visit(holder.root, 0);
  return out;
}

function copyValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || value instanceof RawJson || value instanceof JsonEntries) return value;
  if (Array.isArray(value)) return value.map(copyValue);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) setOwn(out, k, copyValue((value as Record<string, unknown>)[k]));
  return out;
}

/** `obj[key] = value` as an own property, even for the key "__proto__". */
function setOwn(obj: Record<string | number, unknown>, key: string | number, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `arb` with probability `p`, else undefined (fc.option can only make undefined the rarer case). */
export function sometimes<T>(arb: fc.Arbitrary<T>, p: number): fc.Arbitrary<T | undefined> {
  const scale = 100;
  return fc.oneof({ weight: Math.round((1 - p) * scale), arbitrary: fc.constant(undefined) }, { weight: Math.round(p * scale), arbitrary: arb });
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
