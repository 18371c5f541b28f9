#!/usr/bin/env node
// Writes the sample OCI image-layout tarballs in the exact shape `docker buildx build -o type=oci`
// (BuildKit's containerd archive exporter) produces. Standalone on purpose: it does not use airsign's
// own tar or layout code, so the samples can test that code.
//
//   node scripts/make-samples.mjs [--out-dir samples]        single.tar, multi.tar, docker.tar
//   node scripts/make-samples.mjs --size 2GiB --output big.tar [--layers N] [--platforms P] [--tag big] [--seed airsign]
//
// Every byte is fixed: zero mtimes, uid/gid 0, fixed `created` times, gzip written here with stored
// deflate blocks (so no zlib build or CPU feature can change the bytes), and big layer content from an
// AES-128-CTR keystream seeded by --seed.
import { createCipheriv, createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const MT = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  inToto: 'application/vnd.in-toto+json',
  attestationArtifact: 'application/vnd.docker.attestation.manifest.v1+json',
};
const CREATED = '2025-06-01T12:00:00Z';
const OCI_LAYOUT = Buffer.from('{"imageLayoutVersion":"1.0.0"}');

// ---------------------------------------------------------------------------------------------
// ustar, the way Go's archive/tar writes it for BuildKit: name/mode/size/type only, uid/gid 0,
// empty uname/gname, mtime 0, devmajor/devminor "0000000", no PAX (sizes here stay < 8 GiB).

function octal(buf, offset, width, value) {
  buf.write(value.toString(8).padStart(width - 1, '0') + '\0', offset, width, 'ascii');
}

function tarHeader(name, size, mode, type) {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar name too long for plain ustar: ${name}`);
  if (size >= 8 * 1024 ** 3) throw new Error('entries of 8 GiB or more need PAX; not supported here');
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  octal(h, 100, 8, mode);
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, size);
  octal(h, 136, 12, 0); // mtime
  h.fill(0x20, 148, 156); // checksum placeholder
  h.write(type, 156, 1, 'ascii');
  h.write('ustar\0' + '00', 257, 8, 'ascii');
  octal(h, 329, 8, 0); // devmajor
  octal(h, 337, 8, 0); // devminor
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return h;
}

const padding = (size) => Buffer.alloc((512 - (size % 512)) % 512);
const END_OF_ARCHIVE = Buffer.alloc(1024);

/** A small in-memory tar (layer contents). entries: {name, data?: Buffer, dir?: true}. */
function tarBytes(entries) {
  const parts = [];
  for (const e of entries) {
    if (e.dir) parts.push(tarHeader(e.name, 0, 0o755, '5'));
    else parts.push(tarHeader(e.name, e.data.length, 0o644, '0'), e.data, padding(e.data.length));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// gzip with stored deflate blocks (RFC 1951 BTYPE=00): valid gzip, fixed bytes everywhere.

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (gzip), continuing from `prev`. node:zlib's native crc32 when present (Node >= 20.15). */
function crc32(buf, prev = 0) {
  if (typeof zlib.crc32 === 'function') return zlib.crc32(buf, prev);
  let c = (prev ^ 0xffffffff) >>> 0;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const STORED_MAX = 65535;
/** gzip size for `n` bytes of content in stored blocks. */
const gzipStoredSize = (n) => 10 + Math.max(1, Math.ceil(n / STORED_MAX)) * 5 + n + 8;

/**
 * gzip of the bytes `source` yields (`total` bytes in all), as stored deflate blocks. Header: magic,
 * CM=8, FLG=0, MTIME=0, XFL=0, OS=255 (unknown; what Go's compress/gzip writes).
 */
function* gzipStoredStream(source, total) {
  yield Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  let crc = 0;
  let emitted = 0;
  let carry = Buffer.alloc(0);
  const blocks = (buf, flushAll) => {
    const out = [];
    let pos = 0;
    while (buf.length - pos >= STORED_MAX || (flushAll && (pos < buf.length || emitted === 0))) {
      const len = Math.min(STORED_MAX, buf.length - pos);
      const head = Buffer.alloc(5);
      head[0] = emitted + len === total ? 1 : 0;
      head.writeUInt16LE(len, 1);
      head.writeUInt16LE(~len & 0xffff, 3);
      out.push(head, buf.subarray(pos, pos + len));
      pos += len;
      emitted += len;
      if (len === 0) break;
    }
    return { out: out.length > 0 ? Buffer.concat(out) : undefined, rest: buf.subarray(pos) };
  };
  for (const chunk of source) {
    crc = crc32(chunk, crc);
    const { out, rest } = blocks(carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk, false);
    carry = Buffer.from(rest);
    if (out !== undefined) yield out;
  }
  const { out } = blocks(carry, true);
  if (out !== undefined) yield out;
  if (emitted !== total) throw new Error(`gzip input was ${emitted} bytes, expected ${total}`);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(total >>> 0, 4);
  yield trailer;
}

const gzipStored = (data) => Buffer.concat([...gzipStoredStream([data], data.length)]);

// ---------------------------------------------------------------------------------------------
// Blobs and JSON in BuildKit's byte format.

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
/** BuildKit's own manifests, indexes and configs: Go json.MarshalIndent(v, "", "  "), no newline. */
const indented = (value) => Buffer.from(JSON.stringify(value, null, 2));
/** index.json and manifest.json: compact Go json.Marshal, no newline. */
const compact = (value) => Buffer.from(JSON.stringify(value));

class BlobSet {
  constructor() {
    this.blobs = new Map(); // hex -> Buffer
  }
  /** Adds bytes, returns a descriptor {mediaType, digest, size} (+ extra fields in Go order). */
  add(mediaType, bytes, extra = {}) {
    const hex = sha256(bytes);
    this.blobs.set(hex, bytes);
    return { mediaType, digest: `sha256:${hex}`, size: bytes.length, ...extra };
  }
}

/** Writes a whole layout tar in BuildKit's entry order to `path` (via a temp file + rename). */
function writeLayoutTar(path, { blobs, indexJson, manifestJson }) {
  const entries = [];
  for (const [hex, data] of blobs) entries.push({ hex, size: data.length, chunks: () => [data] });
  writeLayoutTarStreaming(path, { entries, indexJson, manifestJson });
}

/**
 * entries: [{hex, size, chunks(): Iterable<Buffer>}]; written in hex order after `blobs/` and
 * `blobs/sha256/`, then index.json, [manifest.json], oci-layout, then two zero blocks.
 */
function writeLayoutTarStreaming(path, { entries, indexJson, manifestJson }) {
  const sorted = [...entries].sort((a, b) => (a.hex < b.hex ? -1 : a.hex > b.hex ? 1 : 0));
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    const put = (buf) => {
      let done = 0;
      while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done);
    };
    put(tarHeader('blobs/', 0, 0o755, '5'));
    put(tarHeader('blobs/sha256/', 0, 0o755, '5'));
    for (const e of sorted) {
      put(tarHeader(`blobs/sha256/${e.hex}`, e.size, 0o444, '0'));
      const hash = createHash('sha256');
      let written = 0;
      for (const chunk of e.chunks()) {
        hash.update(chunk);
        put(chunk);
        written += chunk.length;
      }
      if (written !== e.size || hash.digest('hex') !== e.hex) throw new Error(`blob ${e.hex} changed while writing`);
      put(padding(e.size));
    }
    const file = (name, data, mode) => {
      put(tarHeader(name, data.length, mode, '0'));
      put(data);
      put(padding(data.length));
    };
    file('index.json', indexJson, 0o644);
    if (manifestJson !== undefined) file('manifest.json', manifestJson, 0o644);
    file('oci-layout', OCI_LAYOUT, 0o444);
    put(END_OF_ARCHIVE);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

// ---------------------------------------------------------------------------------------------
// Image pieces.

function layer(blobs, files, { mediaType = MT.ociLayerGzip, gzip = true } = {}) {
  const entries = [];
  const dirs = new Set();
  for (const [name, text] of files) {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = `${parts.slice(0, i).join('/')}/`;
      if (!dirs.has(dir)) {
        dirs.add(dir);
        entries.push({ name: dir, dir: true });
      }
    }
    entries.push({ name, data: Buffer.from(text) });
  }
  const tar = tarBytes(entries);
  const desc = blobs.add(mediaType, gzip ? gzipStored(tar) : tar);
  return { desc, diffId: `sha256:${sha256(tar)}` };
}

function imageConfig(blobs, { arch, layers, cmd, mediaType = MT.ociConfig, createdBy }) {
  // BuildKit patches the config as a JSON map, so top-level keys come out sorted.
  const config = {
    architecture: arch,
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: cmd,
      WorkingDir: '/app',
    },
    created: CREATED,
    history: layers.map((l, i) => ({
      created: CREATED,
      created_by: createdBy?.(i) ?? (i === 0 ? 'COPY hello.txt /app/ # buildkit' : 'COPY app.json /app/ # buildkit'),
      comment: 'buildkit.dockerfile.v0',
    })),
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
  };
  return blobs.add(mediaType, indented(config));
}

function imageManifest(blobs, { config, layers, mediaType = MT.ociManifest }) {
  const manifest = { schemaVersion: 2, mediaType, config, layers: layers.map((l) => l.desc) };
  return blobs.add(mediaType, indented(manifest));
}

function appImage(blobs, arch, { layerType, extraLayers = [] } = {}) {
  const l1 = layer(blobs, [['app/hello.txt', `hello from the airsign sample (linux/${arch})\n`]], layerType ?? {});
  const l2 = layer(blobs, [['app/app.json', '{"name":"app","version":"1.4"}\n']], layerType ?? {});
  const layers = [l1, l2, ...extraLayers];
  return { layers, arch };
}

function nameAnnotations(name, tag) {
  // Go marshals map keys sorted.
  return {
    'io.containerd.image.name': `${name}:${tag}`,
    'org.opencontainers.image.created': CREATED,
    'org.opencontainers.image.ref.name': tag,
  };
}

const platform = (arch) => ({ architecture: arch, os: 'linux' });

function inTotoStatement(subjectName, manifestDesc) {
  return indented({
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType: 'https://slsa.dev/provenance/v0.2',
    subject: [{ name: subjectName, digest: { sha256: manifestDesc.digest.slice('sha256:'.length) } }],
    predicate: {
      builder: { id: '' },
      buildType: 'https://mobyproject.org/buildkit@v1',
      metadata: { buildInvocationID: 'airsign-sample', buildStartedOn: CREATED, buildFinishedOn: CREATED },
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The three samples.

function makeSingle(outDir) {
  const blobs = new BlobSet();
  const img = appImage(blobs, 'amd64');
  const config = imageConfig(blobs, { arch: 'amd64', layers: img.layers, cmd: ['cat', '/app/hello.txt'] });
  const manifest = imageManifest(blobs, { config, layers: img.layers });
  const index = {
    schemaVersion: 2,
    mediaType: MT.ociIndex,
    manifests: [{ ...manifest, annotations: nameAnnotations('docker.io/library/app', '1.4'), platform: platform('amd64') }],
  };
  const path = join(outDir, 'single.tar');
  writeLayoutTar(path, { blobs: blobs.blobs, indexJson: compact(index) });
  return path;
}

function makeMulti(outDir) {
  const blobs = new BlobSet();
  // amd64: two gzip layers. arm64: its own gzip layer plus the amd64 image's app.json layer (the same
  // blob shared by both platforms, as an arch-independent COPY gives) and an uncompressed layer.
  const amd = appImage(blobs, 'amd64');
  const armHello = layer(blobs, [['app/hello.txt', 'hello from the airsign sample (linux/arm64)\n']]);
  const armExtra = layer(blobs, [['app/arm64.txt', 'arm64 only\n']], { mediaType: MT.ociLayerTar, gzip: false });
  const armLayers = [armHello, amd.layers[1], armExtra];
  const amdConfig = imageConfig(blobs, { arch: 'amd64', layers: amd.layers, cmd: ['cat', '/app/hello.txt'] });
  const armConfig = imageConfig(blobs, { arch: 'arm64', layers: armLayers, cmd: ['cat', '/app/hello.txt'] });
  const amdManifest = imageManifest(blobs, { config: amdConfig, layers: amd.layers });
  const armManifest = imageManifest(blobs, { config: armConfig, layers: armLayers });

  const provenanceLayer = (arch, manifestDesc) =>
    blobs.add(MT.inToto, inTotoStatement(`pkg:docker/docker.io/library/app@1.4?platform=linux%2F${arch}`, manifestDesc), {
      annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' },
    });

  // Shape (a), legacy: an image config with unknown/unknown, no subject.
  const amdProv = provenanceLayer('amd64', amdManifest);
  const attConfigA = blobs.add(
    MT.ociConfig,
    indented({
      architecture: 'unknown',
      config: {},
      os: 'unknown',
      rootfs: { type: 'layers', diff_ids: [amdProv.digest] },
    }),
  );
  const attA = blobs.add(MT.ociManifest, indented({ schemaVersion: 2, mediaType: MT.ociManifest, config: attConfigA, layers: [amdProv] }));

  // Shape (b), OCI artifact (BuildKit >= v0.32 default): empty config with data, subject.
  const armProv = provenanceLayer('arm64', armManifest);
  const empty = blobs.add(MT.ociEmpty, Buffer.from('{}'), { data: 'e30=' });
  const subject = { mediaType: armManifest.mediaType, digest: armManifest.digest, size: armManifest.size };
  const attB = blobs.add(
    MT.ociManifest,
    indented({
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      artifactType: MT.attestationArtifact,
      config: empty,
      layers: [armProv],
      subject,
    }),
  );

  const attestationDesc = (att, target) => ({
    ...att,
    annotations: { 'vnd.docker.reference.digest': target.digest, 'vnd.docker.reference.type': 'attestation-manifest' },
    platform: { architecture: 'unknown', os: 'unknown' },
  });
  const imageIndex = blobs.add(
    MT.ociIndex,
    indented({
      schemaVersion: 2,
      mediaType: MT.ociIndex,
      manifests: [
        { ...amdManifest, platform: platform('amd64') },
        { ...armManifest, platform: platform('arm64') },
        attestationDesc(attA, amdManifest),
        attestationDesc(attB, armManifest),
      ],
    }),
  );
  // Two -t names: BuildKit writes one index.json descriptor per name, same digest.
  const index = {
    schemaVersion: 2,
    mediaType: MT.ociIndex,
    manifests: [
      { ...imageIndex, annotations: nameAnnotations('docker.io/library/app', '1.4') },
      { ...imageIndex, annotations: nameAnnotations('docker.io/library/app', 'latest') },
    ],
  };
  const path = join(outDir, 'multi.tar');
  writeLayoutTar(path, { blobs: blobs.blobs, indexJson: compact(index) });
  return path;
}

function makeDocker(outDir) {
  const blobs = new BlobSet();
  const img = appImage(blobs, 'amd64', { layerType: { mediaType: MT.dockerLayerGzip } });
  const config = imageConfig(blobs, { arch: 'amd64', layers: img.layers, cmd: ['cat', '/app/hello.txt'], mediaType: MT.dockerConfig });
  const manifest = imageManifest(blobs, { config, layers: img.layers, mediaType: MT.dockerManifest });
  const index = {
    schemaVersion: 2,
    mediaType: MT.ociIndex,
    manifests: [{ ...manifest, annotations: nameAnnotations('docker.io/library/app', '1.4'), platform: platform('amd64') }],
  };
  const hexOf = (d) => d.digest.slice('sha256:'.length);
  const manifestJson = compact([
    { Config: `blobs/sha256/${hexOf(config)}`, RepoTags: ['app:1.4'], Layers: img.layers.map((l) => `blobs/sha256/${hexOf(l.desc)}`) },
  ]);
  const path = join(outDir, 'docker.tar');
  writeLayoutTar(path, { blobs: blobs.blobs, indexJson: compact(index), manifestJson });
  return path;
}

// ---------------------------------------------------------------------------------------------
// The big sample: gzip (stored) tar layers holding one keystream file each, streamed twice (hash, write).

const CHUNK = 1024 * 1024;

function* keystream(seed, layerNo, length) {
  const key = createHash('sha256').update(`${seed}:${layerNo}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(CHUNK);
  for (let left = length; left > 0; left -= CHUNK) {
    const n = Math.min(CHUNK, left);
    yield cipher.update(n === CHUNK ? zeros : zeros.subarray(0, n));
  }
}

function bigLayer(seed, layerNo, payload) {
  const name = `data/blob-${layerNo}.bin`;
  const tarSize = 512 + payload + padding(payload).length + 1024;
  const tarChunks = function* () {
    yield tarHeader(name, payload, 0o644, '0');
    yield* keystream(seed, layerNo, payload);
    yield padding(payload);
    yield END_OF_ARCHIVE;
  };
  const size = gzipStoredSize(tarSize);
  const chunks = () => gzipStoredStream(tarChunks(), tarSize);
  // Pass 1: digests (layer and diff_id) without keeping the data.
  const diff = createHash('sha256');
  const hash = createHash('sha256');
  let seen = 0;
  for (const c of gzipStoredStream(
    (function* () {
      for (const t of tarChunks()) {
        diff.update(t);
        yield t;
      }
    })(),
    tarSize,
  )) {
    hash.update(c);
    seen += c.length;
  }
  if (seen !== size) throw new Error(`gzip size ${seen} != computed ${size}`);
  const hex = hash.digest('hex');
  return { hex, size, chunks, desc: { mediaType: MT.ociLayerGzip, digest: `sha256:${hex}`, size }, diffId: `sha256:${diff.digest('hex')}` };
}

const ARCHES = ['amd64', 'arm64', 'ppc64le', 's390x', 'riscv64', '386', 'arm'];

function makeBig(output, totalBytes, { seed, tag, layers: layerCount, platforms = 1 }) {
  if (platforms > ARCHES.length) throw new Error(`at most ${ARCHES.length} --platforms`);
  const perLayerMax = 512 * 1024 * 1024;
  const count = Math.max(layerCount ?? Math.ceil(totalBytes / perLayerMax), platforms);
  if (totalBytes / count >= 8 * 1024 ** 3) throw new Error('layers of 8 GiB or more need PAX; not supported here (give more --layers)');
  const payload = Math.max(512, Math.floor((totalBytes - 16 * 1024) / count / 512) * 512 - 2048);
  const layers = [];
  for (let i = 0; i < count; i++) layers.push(bigLayer(seed, i, payload));
  const blobs = new BlobSet();
  // One image per platform, each with its share of the layers (in order), as a multi-platform buildx build.
  const manifests = ARCHES.slice(0, platforms).map((arch, p) => {
    const own = layers.filter((_, i) => Math.floor((i * platforms) / count) === p);
    const config = imageConfig(blobs, { arch, layers: own, cmd: ['ls', '-l', '/data'], createdBy: (i) => `COPY blob-${i}.bin /data/ # buildkit` });
    return { desc: imageManifest(blobs, { config, layers: own }), platform: platform(arch) };
  });
  const name = nameAnnotations('docker.io/library/big', tag);
  let top;
  if (platforms === 1) {
    top = { ...manifests[0].desc, annotations: name, platform: manifests[0].platform };
  } else {
    const imageIndex = blobs.add(MT.ociIndex, indented({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: manifests.map((m) => ({ ...m.desc, platform: m.platform })) }));
    top = { ...imageIndex, annotations: name };
  }
  const index = { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [top] };
  const entries = [
    ...layers.map((l) => ({ hex: l.hex, size: l.size, chunks: l.chunks })),
    ...[...blobs.blobs].map(([hex, data]) => ({ hex, size: data.length, chunks: () => [data] })),
  ];
  writeLayoutTarStreaming(output, { entries, indexJson: compact(index) });
  return { output, layers: count, platforms, top: top.digest };
}

// ---------------------------------------------------------------------------------------------

function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)\s*(b|k|kib|m|mib|g|gib|t|tib)?$/i.exec(String(text).trim());
  if (!m) throw new Error(`bad --size "${text}" (examples: 200MiB, 2GiB, 1048576)`);
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  const factor = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[unit];
  return Math.round(Number(m[1]) * factor);
}

function parseArgs(argv) {
  const opts = { outDir: undefined, size: undefined, output: undefined, seed: 'airsign', tag: 'big' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--out-dir') opts.outDir = value();
    else if (arg === '--size') opts.size = parseSize(value());
    else if (arg === '--output') opts.output = value();
    else if (arg === '--seed') opts.seed = value();
    else if (arg === '--tag') opts.tag = value();
    else if (arg === '--layers') {
      opts.layers = Number(value());
      if (!Number.isInteger(opts.layers) || opts.layers < 1) throw new Error('--layers needs a positive integer');
    }
    else if (arg === '--platforms') {
      opts.platforms = Number(value());
      if (!Number.isInteger(opts.platforms) || opts.platforms < 1) throw new Error('--platforms needs a positive integer');
    }
    else if (arg === '--help' || arg === '-h') opts.help = true;
    else throw new Error(`unknown argument ${arg}`);
  }
  return opts;
}

const USAGE = `usage:
  node scripts/make-samples.mjs [--out-dir DIR]          write single.tar, multi.tar, docker.tar (default DIR: samples/)
  node scripts/make-samples.mjs --size 2GiB --output FILE [--layers N] [--platforms P] [--tag big] [--seed airsign]
                                                         write one large sample of incompressible gzip layers (default:
                                                         as many as keep each <= 512 MiB), split over P platform images
                                                         (default 1; with more, an image index tagged like buildx's)`;

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`make-samples: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (opts.size !== undefined || opts.output !== undefined) {
    if (opts.size === undefined || opts.output === undefined) {
      process.stderr.write(`make-samples: --size and --output go together\n${USAGE}\n`);
      return 2;
    }
    const r = makeBig(resolve(opts.output), opts.size, opts);
    process.stdout.write(`${r.output} (${r.layers} layer(s), ${r.platforms} platform(s), ${r.platforms === 1 ? 'manifest' : 'index'} ${r.top}, tag ${opts.tag})\n`);
    return 0;
  }
  const outDir = resolve(opts.outDir ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'samples'));
  for (const make of [makeSingle, makeMulti, makeDocker]) process.stdout.write(`${make(outDir)}\n`);
  return 0;
}

process.exitCode = main();
