/**
 * Edits a signed OCI layout the way an attacker would, for the tamper-matrix test: in a tar (member
 * order and headers kept; a member's size may change; members dropped or appended) or in a layout
 * directory, through one interface. Raw edits (flip a byte, replace or drop a member) leave digests
 * wrong; `replaceBlob` plays the careful attacker who rewrites every descriptor up to index.json so
 * that only the signatures can catch the change. Test-only.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { BLOCK, END, withChecksum } from './raw-tar.js';
import { sha256Digest } from './sha256.js';

/** One file of a layout, by its path inside the layout (`index.json`, `blobs/sha256/<hex>`). */
export interface LayoutFiles {
  has(name: string): boolean;
  read(name: string): Uint8Array;
  /** Replaces a file's bytes (any size), or adds it. */
  write(name: string, data: Uint8Array): void;
  remove(name: string): void;
  /** Regular files, in the order they are stored. */
  names(): string[];
  /** Writes the result (a tar: to `path`; a directory: in place, `path` ignored). */
  save(path?: string): void;
}

interface TarMember {
  /** PAX / GNU long-name records that describe this member, kept verbatim. */
  extensions: Uint8Array[];
  header: Uint8Array;
  name: string;
  type: string;
  data: Uint8Array;
}

const text = new TextDecoder();

function field(block: Uint8Array, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const nul = raw.indexOf(0);
  return text.decode(nul < 0 ? raw : raw.subarray(0, nul));
}

function parseOctal(block: Uint8Array, start: number, length: number): number {
  return parseInt(field(block, start, length).trim() || '0', 8);
}

/** A layout tar held in memory (samples are a few hundred KiB). */
export class TarLayout implements LayoutFiles {
  private members: TarMember[] = [];

  constructor(bytes: Uint8Array) {
    let at = 0;
    let pending: Uint8Array[] = [];
    let longName: string | undefined;
    while (at + BLOCK <= bytes.length) {
      const header = bytes.slice(at, at + BLOCK);
      if (header.every((b) => b === 0)) break;
      const size = parseOctal(header, 124, 12);
      const type = String.fromCharCode(header[156]!);
      const data = bytes.slice(at + BLOCK, at + BLOCK + size);
      const record = bytes.slice(at, at + BLOCK + Math.ceil(size / BLOCK) * BLOCK);
      at += record.length;
      if (type === 'x' || type === 'L') {
        if (type === 'L') longName = text.decode(data).replace(/\0+$/, '');
        else {
          const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text.decode(data));
          if (path) longName = path[1];
          if (/(?:^|\n)\d+ size=/.test(text.decode(data))) throw new Error('tamper: PAX size records are not supported');
        }
        pending.push(record);
        continue;
      }
      const prefix = field(header, 345, 155);
      const name = (longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100))).replace(/^\.\//, '');
      this.members.push({ extensions: pending, header, name, type, data });
      pending = [];
      longName = undefined;
    }
  }

  static read(path: string): TarLayout {
    return new TarLayout(new Uint8Array(readFileSync(path)));
  }

  private find(name: string): TarMember | undefined {
    return this.members.find((m) => m.name === name && (m.type === '0' || m.type === '\0'));
  }

  has(name: string): boolean {
    return this.find(name) !== undefined;
  }

  read(name: string): Uint8Array {
    const m = this.find(name);
    if (m === undefined) throw new Error(`tamper: no member ${name}`);
    return m.data;
  }

  write(name: string, data: Uint8Array): void {
    const m = this.find(name);
    if (m !== undefined) {
      m.data = data;
      return;
    }
    // A new member: a copy of an existing blob's header, renamed.
    const template = this.members.find((x) => x.name.startsWith('blobs/') && x.type === '0') ?? this.members.find((x) => x.type === '0');
    if (template === undefined || name.length > 100) throw new Error(`tamper: cannot add ${name}`);
    const header = template.header.slice();
    header.fill(0, 0, 100);
    header.fill(0, 345, 500);
    header.set(new TextEncoder().encode(name), 0);
    this.members.push({ extensions: [], header, name, type: '0', data });
  }

  remove(name: string): void {
    const before = this.members.length;
    this.members = this.members.filter((m) => m.name !== name);
    if (this.members.length === before) throw new Error(`tamper: no member ${name}`);
  }

  names(): string[] {
    return this.members.filter((m) => m.type === '0' || m.type === '\0').map((m) => m.name);
  }

  /** The tar's bytes: each header with its size (and checksum) rewritten, data padded, two zero blocks. */
  bytes(): Uint8Array {
    const parts: Uint8Array[] = [];
    for (const m of this.members) {
      parts.push(...m.extensions);
      const header = m.header.slice();
      header.set(new TextEncoder().encode(`${m.data.length.toString(8).padStart(11, '0')}\0`), 124);
      parts.push(withChecksum(header));
      const padded = new Uint8Array(Math.ceil(m.data.length / BLOCK) * BLOCK);
      padded.set(m.data);
      parts.push(padded);
    }
    parts.push(END);
    return Buffer.concat(parts);
  }

  save(path: string): void {
    writeFileSync(path, this.bytes());
  }
}

/** A layout directory edited in place. */
export class DirLayout implements LayoutFiles {
  constructor(readonly dir: string) {}

  has(name: string): boolean {
    return existsSync(join(this.dir, name));
  }

  read(name: string): Uint8Array {
    return new Uint8Array(readFileSync(join(this.dir, name)));
  }

  write(name: string, data: Uint8Array): void {
    const path = join(this.dir, name);
    mkdirSync(dirname(path), { recursive: true });
    rmSync(path, { force: true }); // blobs are often read-only
    writeFileSync(path, data);
  }

  remove(name: string): void {
    rmSync(join(this.dir, name));
  }

  names(): string[] {
    return (readdirSync(this.dir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => relative(this.dir, join(e.parentPath, e.name)));
  }

  save(): void {}
}

export function blobName(digest: string): string {
  return `blobs/${digest.replace(':', '/')}`;
}

/** Flips the low bit of one byte of a blob (offset negative: from the end); digests are left as they are. */
export function flipByte(files: LayoutFiles, digest: string, offset: number): void {
  const data = files.read(blobName(digest)).slice();
  const at = offset < 0 ? data.length + offset : offset;
  data[at] = data[at]! ^ 0x01;
  files.write(blobName(digest), data);
}

export function readJson<T = Record<string, unknown>>(files: LayoutFiles, name: string): T {
  return JSON.parse(text.decode(files.read(name))) as T;
}

/** JSON in the indentation the original used (2-space if it was multi-line, else compact). */
function rewriteJson(original: Uint8Array, value: unknown): Uint8Array {
  const indented = text.decode(original).includes('\n');
  return Buffer.from(JSON.stringify(value, null, indented ? 2 : undefined));
}

export type IndexJson = { manifests: Array<{ digest: string; size: number; mediaType: string; annotations?: Record<string, string> } & Record<string, unknown>> } & Record<string, unknown>;

/** Rewrites index.json through `edit` (compact, as it was). */
export function editIndex(files: LayoutFiles, edit: (index: IndexJson) => void): void {
  const original = files.read('index.json');
  const index = JSON.parse(text.decode(original)) as IndexJson;
  edit(index);
  files.write('index.json', rewriteJson(original, index));
}

/** Adds a blob; returns its digest. */
export function putBlob(files: LayoutFiles, bytes: Uint8Array): string {
  const digest = sha256Digest(bytes);
  files.write(blobName(digest), bytes);
  return digest;
}

function looksLikeJson(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes.length < 4 * 1024 * 1024 && bytes[0] === 0x7b; // '{'
}

/** Sets digest and size of every descriptor (any object with `digest === from`) in `value`; true if any. */
function redirect(value: unknown, from: string, to: string, size: number): boolean {
  if (Array.isArray(value)) return value.map((v) => redirect(v, from, to, size)).some(Boolean);
  if (value === null || typeof value !== 'object') return false;
  const obj = value as Record<string, unknown>;
  let changed = false;
  if (obj.digest === from) {
    obj.digest = to;
    if (typeof obj.size === 'number') obj.size = size;
    changed = true;
  }
  for (const v of Object.values(obj)) changed = redirect(v, from, to, size) || changed;
  return changed;
}

/**
 * The careful attacker: replaces blob `digest` with `bytes`, then rewrites every JSON blob that
 * references it (descriptors, Notation `subject`s) and their parents in turn, up to index.json
 * (whose cosign tags `sha256-<hex>.sig|.att` follow the digest too). Old blobs are removed.
 * Returns the new digest.
 */
export function replaceBlob(files: LayoutFiles, digest: string, bytes: Uint8Array): string {
  const to = putBlob(files, bytes);
  if (to === digest) return to;
  files.remove(blobName(digest));
  for (const name of files.names()) {
    if (!name.startsWith('blobs/')) continue;
    if (!files.has(name)) continue; // removed by a recursive step
    const data = files.read(name);
    if (!looksLikeJson(data)) continue;
    let value: unknown;
    try {
      value = JSON.parse(text.decode(data));
    } catch {
      continue;
    }
    if (redirect(value, digest, to, bytes.length)) {
      replaceBlob(files, `${name.split('/')[1]}:${name.split('/')[2]}`, rewriteJson(data, value));
    }
  }
  editIndex(files, (index) => {
    redirect(index, digest, to, bytes.length);
    const [fromHex, toHex] = [digest, to].map((d) => d.replace(':', '-'));
    for (const m of index.manifests) {
      const ref = m.annotations?.['org.opencontainers.image.ref.name'];
      if (ref !== undefined && ref.startsWith(`${fromHex!}.`)) m.annotations!['org.opencontainers.image.ref.name'] = `${toHex!}${ref.slice(fromHex!.length)}`;
    }
  });
  return to;
}

/** Edits a JSON blob through `edit` and re-chains it (see replaceBlob); returns the new digest. */
export function editJsonBlob(files: LayoutFiles, digest: string, edit: (value: Record<string, unknown>) => void): string {
  const original = files.read(blobName(digest));
  const value = JSON.parse(text.decode(original)) as Record<string, unknown>;
  edit(value);
  return replaceBlob(files, digest, rewriteJson(original, value));
}
