/**
 * A test-only, independent model of how oras-go v2.6 loads an OCI layout tar (`oci.NewFromTar` →
 * `oci.ReadOnlyStore`) and answers `Resolve` and `registry.Referrers`. Written from oras-go v2.6's
 * public source (repository `oras-project/oras-go`: `content/oci/readonlyoci.go`, `content/oci/storage.go`,
 * `internal/fs/tarfs/tarfs.go`, `internal/graph/memory.go`, `registry/repository.go` Referrers),
 * not from airsign's code, so tests can check that what airsign
 * writes is readable the way `oras cp --from-oci-layout` reads it.
 *
 * Rules modelled:
 * - tar scan (tarfs): every entry indexed by `path.Clean(name)`, last one wins; ustar, GNU long
 *   names and PAX paths are understood while scanning (Go's archive/tar rules: header-only types
 *   have no data whatever their size, a global PAX header is an entry of its own and changes
 *   nothing after it, a GNU long name beats a PAX path), but data is re-read from the plain header
 *   (oras-go stores "offset after header − 512"), so a PAX `size` override is lost; only regular
 *   files can be opened.
 * - `oci-layout` must exist and say exactly `"imageLayoutVersion": "1.0.0"`; `index.json` must exist
 *   and decode as JSON.
 * - each index.json descriptor is tagged by its digest (plain descriptor) and by its
 *   `org.opencontainers.image.ref.name` (full descriptor); `io.containerd.image.name` is ignored;
 *   duplicates are last-wins.
 * - graph: from every index.json entry, successors are followed for manifests only (OCI/Docker
 *   manifests: [subject (OCI only)], config, layers; OCI index: [subject], manifests; Docker list:
 *   manifests; OCI artifact manifest: [subject], blobs). Only manifests are fetched, size and digest
 *   verified; a missing blob is skipped; a mismatch or bad JSON fails the load.
 * - `referrers(desc)`: predecessors of desc (keyed by mediaType+digest+size) that are OCI manifests or
 *   OCI indexes whose `subject` equals desc by mediaType, digest and size.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface OrasDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Record<string, unknown>;
  urls?: string[];
  data?: string;
}

export interface PlainRef {
  mediaType: string;
  digest: string;
  size: number;
}

export interface OrasLayout {
  /** A tag (ref.name) gives the full index.json descriptor; a digest a plain one; a blob-only digest `application/octet-stream`. Throws OrasRuleError('NOT_FOUND'). */
  resolve(reference: string): OrasDescriptor;
  /** Like oras-go `registry.Referrers(ctx, store, desc, artifactType)`: artifactType and annotations filled from each referrer. */
  referrers(target: PlainRef, artifactType?: string): OrasDescriptor[];
  /** Every manifest or index reachable from index.json that was present and fetched (plain descriptors, walk order). */
  manifests(): OrasDescriptor[];
  /** Every node reachable from index.json (present or not), plain descriptors. */
  nodes(): PlainRef[];
  /** Nodes that point at `target` (oras-go `Predecessors`). */
  predecessors(target: PlainRef): PlainRef[];
  /** Tags in index.json order of last write (tag → descriptor). */
  tags(): Map<string, OrasDescriptor>;
  /** Whether the blob file exists and can be opened (regular file). */
  exists(target: { digest: string }): boolean;
  /** Reads a blob verifying size and digest (small blobs only). */
  fetch(target: PlainRef): Uint8Array;
}

export class OrasRuleError extends Error {
  constructor(
    readonly code:
      | 'NOT_FOUND'
      | 'BAD_TAR'
      | 'NOT_REGULAR'
      | 'BAD_OCI_LAYOUT'
      | 'NO_INDEX'
      | 'BAD_JSON'
      | 'BAD_DIGEST'
      | 'MISMATCH'
      | 'UNSUPPORTED',
    message: string,
  ) {
    super(`oras-rules: ${message}`);
    this.name = 'OrasRuleError';
  }
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const OCI_ARTIFACT = 'application/vnd.oci.artifact.manifest.v1+json';
const MANIFEST_TYPES = new Set([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST, OCI_ARTIFACT]);
const MAX_MANIFEST = 4 * 1024 * 1024;

/** Go's path.Clean. */
export function goPathClean(name: string): string {
  if (name === '') return '.';
  const rooted = name.startsWith('/');
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** Go's fs.ValidPath: unrooted, slash-separated, no empty, `.` or `..` elements (except "." itself). */
function validFsPath(name: string): boolean {
  if (name === '.') return true;
  return name.split('/').every((p) => p !== '' && p !== '.' && p !== '..');
}

// ---------------------------------------------------------------------------------------------
// Storage: a tar (tarfs model) or a directory (os.DirFS).

interface Storage {
  /** Opens a regular file fully (small files only). */
  read(name: string, maxBytes: number): Uint8Array;
  /** Regular-file size, or undefined when absent. Throws NOT_REGULAR for other entry types. */
  size(name: string): number | undefined;
}

interface TarEntry {
  typeflag: string;
  /** Offset of the plain ustar header oras-go seeks back to. */
  headerOffset: number;
}

function field(block: Buffer, offset: number, length: number): string {
  const raw = block.subarray(offset, offset + length);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul === -1 ? length : nul).toString('utf8');
}

function numeric(block: Buffer, offset: number, length: number): number {
  const raw = block.subarray(offset, offset + length);
  if ((raw[0]! & 0x80) !== 0) {
    let value = 0;
    for (let i = 1; i < length; i++) value = value * 256 + raw[i]!;
    return value;
  }
  const text = field(block, offset, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = parseInt(data.subarray(pos, space).toString('ascii'), 10);
    if (!Number.isFinite(len) || len <= 0) throw new OrasRuleError('BAD_TAR', 'bad PAX record');
    const record = data.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

class TarStorage implements Storage {
  private readonly entries = new Map<string, TarEntry>();
  readonly path: string;

  constructor(path: string) {
    this.path = path;
    const fd = openSync(path, 'r');
    try {
      this.scan(fd, statSync(path).size);
    } finally {
      closeSync(fd);
    }
  }

  private readAt(fd: number, offset: number, length: number): Buffer {
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buf, done, length - done, offset + done);
      if (n === 0) throw new OrasRuleError('BAD_TAR', `unexpected EOF in ${this.path}`);
      done += n;
    }
    return buf;
  }

  private scan(fd: number, fileSize: number): void {
    let offset = 0;
    let longName: string | undefined;
    let pax: Map<string, string> | undefined;
    for (;;) {
      if (offset + 512 > fileSize) {
        if (offset === fileSize) return; // EOF without zero blocks: Go's reader accepts io.EOF at a boundary
        throw new OrasRuleError('BAD_TAR', `truncated tar header at ${offset}`);
      }
      const block = this.readAt(fd, offset, 512);
      if (block.every((b) => b === 0)) return; // end of archive
      const checksum = numeric(block, 148, 8);
      let unsigned = 0;
      for (let i = 0; i < 512; i++) unsigned += i >= 148 && i < 156 ? 0x20 : block[i]!;
      if (checksum !== unsigned) throw new OrasRuleError('BAD_TAR', `bad header checksum at ${offset}`);
      const typeflag = String.fromCharCode(block[156]!);
      const headerSize = numeric(block, 124, 12);
      const dataOffset = offset + 512;
      const next = dataOffset + Math.ceil(headerSize / 512) * 512;
      if (typeflag === 'L' || typeflag === 'K' || typeflag === 'x' || typeflag === 'g') {
        if (dataOffset + headerSize > fileSize) throw new OrasRuleError('BAD_TAR', 'truncated extended header');
        const data = this.readAt(fd, dataOffset, headerSize);
        if (typeflag === 'K') {
          // GNU long link name: irrelevant here (links cannot be opened anyway).
        } else if (typeflag === 'L') longName = data.toString('utf8').replace(/\0.*$/s, '');
        else if (typeflag === 'x') pax = parsePax(data);
        else {
          // Go returns a global header as an entry of its own (named by its own path record or
          // name); it changes nothing after it and drops pending x and L records.
          this.entries.set(goPathClean(parsePax(data).get('path') || field(block, 0, 100)), { typeflag: 'g', headerOffset: offset });
          pax = undefined;
          longName = undefined;
        }
        offset = next;
        continue;
      }
      const magic = field(block, 257, 6);
      // Go: the magic "ustar\0" alone means USTAR (any version), so the prefix applies.
      const prefix = magic === 'ustar' && block[262] === 0 ? field(block, 345, 155) : '';
      let name = field(block, 0, 100);
      if (prefix !== '') name = `${prefix}/${name}`;
      const paxPath = pax?.get('path');
      if (paxPath) name = paxPath;
      if (longName) name = longName; // Go: a GNU long name beats a PAX path
      const paxSize = pax?.get('size');
      const type = typeflag === '\0' ? (name.endsWith('/') ? '5' : '0') : typeflag;
      // Go: link, symlink, char, block, dir and fifo entries are header-only, whatever their size says.
      const realSize = '123456'.includes(type) ? 0 : paxSize ? Number(paxSize) : headerSize;
      this.entries.set(goPathClean(name), { typeflag: type, headerOffset: offset });
      longName = undefined;
      pax = undefined;
      const end = dataOffset + Math.ceil(realSize / 512) * 512;
      if (dataOffset + realSize > fileSize) throw new OrasRuleError('BAD_TAR', `truncated data for ${name}`);
      offset = end;
    }
  }

  private entry(name: string): TarEntry | undefined {
    return this.entries.get(name);
  }

  size(name: string): number | undefined {
    const e = this.entry(name);
    if (e === undefined) return undefined;
    if (e.typeflag !== '0') throw new OrasRuleError('NOT_REGULAR', `${name} is not a regular file (type ${e.typeflag})`);
    const fd = openSync(this.path, 'r');
    try {
      // Re-read from the plain header: extended (PAX/GNU) data is not seen again.
      return numeric(this.readAt(fd, e.headerOffset, 512), 124, 12);
    } finally {
      closeSync(fd);
    }
  }

  read(name: string, maxBytes: number): Uint8Array {
    const size = this.size(name);
    if (size === undefined) throw new OrasRuleError('NOT_FOUND', `${name}: not found`);
    if (size > maxBytes) throw new OrasRuleError('UNSUPPORTED', `${name}: ${size} bytes is more than this helper reads`);
    const e = this.entry(name)!;
    const fd = openSync(this.path, 'r');
    try {
      return this.readAt(fd, e.headerOffset + 512, size);
    } finally {
      closeSync(fd);
    }
  }
}

class DirStorage implements Storage {
  constructor(private readonly root: string) {}

  size(name: string): number | undefined {
    const p = join(this.root, ...name.split('/'));
    if (!existsSync(p)) return undefined;
    const st = statSync(p);
    if (!st.isFile()) throw new OrasRuleError('NOT_REGULAR', `${name} is not a regular file`);
    return st.size;
  }

  read(name: string, maxBytes: number): Uint8Array {
    const size = this.size(name);
    if (size === undefined) throw new OrasRuleError('NOT_FOUND', `${name}: not found`);
    if (size > maxBytes) throw new OrasRuleError('UNSUPPORTED', `${name}: ${size} bytes is more than this helper reads`);
    return readFileSync(join(this.root, ...name.split('/')));
  }
}

// ---------------------------------------------------------------------------------------------

const DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

function blobPath(digest: string): string {
  if (typeof digest !== 'string' || !DIGEST_RE.test(digest)) throw new OrasRuleError('BAD_DIGEST', `invalid digest ${String(digest)}`);
  const [alg, enc] = digest.split(':') as [string, string];
  if (alg === 'sha256' && !/^[a-f0-9]{64}$/.test(enc)) throw new OrasRuleError('BAD_DIGEST', `invalid digest ${digest}`);
  if (alg !== 'sha256' && alg !== 'sha512') throw new OrasRuleError('BAD_DIGEST', `unsupported digest algorithm ${alg}`);
  return `blobs/${alg}/${enc}`;
}

const keyOf = (d: PlainRef): string => `${d.mediaType}|${d.digest}|${d.size}`;
const plain = (d: PlainRef): PlainRef => ({ mediaType: d.mediaType, digest: d.digest, size: d.size });

function asDescriptor(value: unknown, where: string): OrasDescriptor {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new OrasRuleError('BAD_JSON', `${where}: descriptor is not an object`);
  const d = value as Record<string, unknown>;
  // Go decodes missing fields as zero values.
  return {
    ...(d as Partial<OrasDescriptor>),
    mediaType: typeof d['mediaType'] === 'string' ? d['mediaType'] : '',
    digest: typeof d['digest'] === 'string' ? d['digest'] : '',
    size: typeof d['size'] === 'number' ? d['size'] : 0,
  };
}

function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new OrasRuleError('BAD_JSON', `${what}: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new OrasRuleError('BAD_JSON', `${what}: not a JSON object`);
  return value as Record<string, unknown>;
}

function descriptorList(doc: Record<string, unknown>, key: string, what: string): OrasDescriptor[] {
  const list = doc[key];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new OrasRuleError('BAD_JSON', `${what}: ${key} is not an array`);
  return list.map((d, i) => asDescriptor(d, `${what} ${key}[${i}]`));
}

function optionalDescriptor(doc: Record<string, unknown>, key: string, what: string): OrasDescriptor | undefined {
  const value = doc[key];
  return value === undefined || value === null ? undefined : asDescriptor(value, `${what} ${key}`);
}

/** oras-go `content.Successors` for one fetched node. */
function successors(desc: PlainRef, bytes: Uint8Array): OrasDescriptor[] {
  const what = `${desc.mediaType} ${desc.digest}`;
  const doc = parseJson(bytes, what);
  const subject = optionalDescriptor(doc, 'subject', what);
  switch (desc.mediaType) {
    case DOCKER_MANIFEST: {
      const config = optionalDescriptor(doc, 'config', what);
      return [...(config ? [config] : []), ...descriptorList(doc, 'layers', what)];
    }
    case OCI_MANIFEST: {
      const config = optionalDescriptor(doc, 'config', what);
      return [...(subject ? [subject] : []), ...(config ? [config] : []), ...descriptorList(doc, 'layers', what)];
    }
    case DOCKER_LIST:
      return descriptorList(doc, 'manifests', what);
    case OCI_INDEX:
      return [...(subject ? [subject] : []), ...descriptorList(doc, 'manifests', what)];
    case OCI_ARTIFACT:
      return [...(subject ? [subject] : []), ...descriptorList(doc, 'blobs', what)];
    default:
      return [];
  }
}

/** Loads a layout tar (or directory) the way oras-go v2.6 `oci.NewFromTar` (`oci.NewFromFS`) does. */
export function loadLikeOras(source: string): OrasLayout {
  const storage: Storage = statSync(source).isDirectory() ? new DirStorage(source) : new TarStorage(source);

  // oci-layout
  let layoutBytes: Uint8Array;
  try {
    layoutBytes = storage.read('oci-layout', MAX_MANIFEST);
  } catch (error) {
    if (error instanceof OrasRuleError && error.code === 'NOT_FOUND') throw new OrasRuleError('BAD_OCI_LAYOUT', 'oci-layout: not found');
    throw error;
  }
  const layout = parseJson(layoutBytes, 'oci-layout');
  if (layout['imageLayoutVersion'] !== '1.0.0') {
    throw new OrasRuleError('BAD_OCI_LAYOUT', `oci-layout: imageLayoutVersion ${JSON.stringify(layout['imageLayoutVersion'])} is not 1.0.0`);
  }

  // index.json
  let indexBytes: Uint8Array;
  try {
    indexBytes = storage.read('index.json', 64 * 1024 * 1024);
  } catch (error) {
    if (error instanceof OrasRuleError && error.code === 'NOT_FOUND') throw new OrasRuleError('NO_INDEX', 'index.json: not found');
    throw error;
  }
  const index = parseJson(indexBytes, 'index.json');
  const roots = descriptorList(index, 'manifests', 'index.json');

  const tagMap = new Map<string, OrasDescriptor>();
  const preds = new Map<string, Map<string, PlainRef>>();
  const allNodes = new Map<string, PlainRef>();
  const fetched = new Map<string, OrasDescriptor>();

  const fetchVerified = (target: PlainRef): Uint8Array => {
    const name = blobPath(target.digest);
    if (!validFsPath(name)) throw new OrasRuleError('BAD_DIGEST', `invalid blob path ${name}`);
    const size = storage.size(name);
    if (size === undefined) throw new OrasRuleError('NOT_FOUND', `${target.digest}: not found`);
    if (size !== target.size) throw new OrasRuleError('MISMATCH', `${target.digest}: size ${size} does not match descriptor size ${target.size}`);
    const bytes = storage.read(name, MAX_MANIFEST);
    const alg = target.digest.slice(0, target.digest.indexOf(':'));
    const actual = `${alg}:${createHash(alg).update(bytes).digest('hex')}`;
    if (actual !== target.digest) throw new OrasRuleError('MISMATCH', `${target.digest}: content digest is ${actual}`);
    return bytes;
  };

  const indexAll = (root: PlainRef): void => {
    const queue: PlainRef[] = [root];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const node = queue.shift()!;
      const key = keyOf(node);
      if (seen.has(key)) continue;
      seen.add(key);
      allNodes.set(key, node);
      if (!MANIFEST_TYPES.has(node.mediaType)) continue;
      let bytes: Uint8Array;
      try {
        bytes = fetchVerified(node);
      } catch (error) {
        if (error instanceof OrasRuleError && error.code === 'NOT_FOUND') continue; // missing blobs are fine
        throw error;
      }
      fetched.set(key, plain(node));
      for (const succ of successors(node, bytes)) {
        const sp = plain(succ);
        const sk = keyOf(sp);
        if (!preds.has(sk)) preds.set(sk, new Map());
        preds.get(sk)!.set(key, node);
        if (!allNodes.has(sk)) allNodes.set(sk, sp);
        queue.push(sp);
      }
    }
  };

  for (const desc of roots) {
    const withoutRefName: OrasDescriptor = { ...desc };
    if (desc.annotations !== undefined) {
      const rest = { ...desc.annotations };
      delete rest['org.opencontainers.image.ref.name'];
      withoutRefName.annotations = rest;
    }
    tagMap.set(desc.digest, withoutRefName);
    const ref = desc.annotations?.['org.opencontainers.image.ref.name'];
    if (typeof ref === 'string' && ref !== '') tagMap.set(ref, desc);
    indexAll(plain(desc));
  }

  const layoutApi: OrasLayout = {
    resolve(reference) {
      if (reference === '') throw new OrasRuleError('NOT_FOUND', 'empty reference');
      const desc = tagMap.get(reference);
      if (desc !== undefined) return reference === desc.digest ? plain(desc) : { ...desc };
      // Blob fallback: a digest whose blob exists.
      if (DIGEST_RE.test(reference)) {
        let name: string;
        try {
          name = blobPath(reference);
        } catch {
          throw new OrasRuleError('NOT_FOUND', `${reference}: not found`);
        }
        const size = storage.size(name);
        if (size !== undefined) return { mediaType: 'application/octet-stream', digest: reference, size };
      }
      throw new OrasRuleError('NOT_FOUND', `${reference}: not found`);
    },
    referrers(target, artifactType) {
      if (!MANIFEST_TYPES.has(target.mediaType)) throw new OrasRuleError('UNSUPPORTED', `${target.mediaType} is not a manifest`);
      const results: OrasDescriptor[] = [];
      for (const node of preds.get(keyOf(target))?.values() ?? []) {
        if (node.mediaType !== OCI_MANIFEST && node.mediaType !== OCI_INDEX) continue;
        const doc = parseJson(fetchVerified(node), node.digest);
        const subject = optionalDescriptor(doc, 'subject', node.digest);
        if (subject === undefined || keyOf(subject) !== keyOf(target)) continue;
        let type = typeof doc['artifactType'] === 'string' ? doc['artifactType'] : '';
        if (type === '' && node.mediaType === OCI_MANIFEST) {
          const config = optionalDescriptor(doc, 'config', node.digest);
          type = config?.mediaType ?? '';
        }
        const result: OrasDescriptor = { ...plain(node), artifactType: type };
        const annotations = doc['annotations'];
        if (annotations !== null && typeof annotations === 'object') result.annotations = annotations as Record<string, string>;
        if (artifactType === undefined || artifactType === '' || artifactType === type) results.push(result);
      }
      return results;
    },
    manifests() {
      return [...fetched.values()];
    },
    nodes() {
      return [...allNodes.values()];
    },
    predecessors(target) {
      return [...(preds.get(keyOf(target))?.values() ?? [])];
    },
    tags() {
      return new Map(tagMap);
    },
    exists(target) {
      try {
        return storage.size(blobPath(target.digest)) !== undefined;
      } catch {
        return false;
      }
    },
    fetch(target) {
      return fetchVerified(target);
    },
  };
  return layoutApi;
}

/** The ref.name tags of a loaded layout (tags that are not the digest they point at). */
export function refNameTags(layout: OrasLayout): string[] {
  return [...layout.tags()].filter(([tag, desc]) => tag !== desc.digest).map(([tag]) => tag);
}
