import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { beforeAll, describe, expect, it } from 'vitest';
import { openLayout, type Layout } from '../../../src/layout/open-layout.js';
import { resolveImage } from '../../../src/layout/resolve.js';
import { successors, walkLayout } from '../../../src/layout/graph.js';
import { addIndexEntries } from '../../../src/layout/index-edit.js';
import { writeLayout } from '../../../src/layout/write-layout.js';
import { parseLayoutJson } from '../../../src/layout/layout-json.js';
import { isAirsignError } from '../../../src/errors.js';
import { buildRichLayout, type RichLayout } from '../layout/build-fixtures.js';
import { tempDir } from '../../helpers/temp-dir.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/layout');
const HELLO = join(FIXTURES, 'hello-world.tar');
const HELLO_INDEX = 'sha256:faa03e786c97f07ef34423fccceeec2398ec8a5759259f94d99078f264e9d7af';
const HELLO_AMD64 = { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: 'sha256:f54a58bc1aac5ea1a25d796ae155dc228b3f0e11d046ae276b39c4bf2f13d8c4', size: 525 };

const work = tempDir('airsign-layout-api-');
let rich: RichLayout;
let richTar: string;
beforeAll(() => {
  rich = buildRichLayout(join(work, 'rich'), { otherImage: true });
  richTar = rich.builder.tar(join(work, 'rich.tar'));
});

async function withLayout<T>(source: string, fn: (l: Layout) => Promise<T>): Promise<T> {
  const l = await openLayout(source);
  try {
    return await fn(l);
  } finally {
    await l.close();
  }
}

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (error) {
    if (isAirsignError(error)) return error.code;
    throw error;
  }
  return 'NO_ERROR';
}

describe('openLayout', () => {
  it('reads both oras-go vectors to the same store (oras-go expectations)', async () => {
    const a = await withLayout(HELLO, async (l) => ({ blobs: l.blobDigests(), index: Buffer.from(l.indexBytes).toString(), extra: l.extraFiles }));
    const b = await withLayout(join(FIXTURES, 'hello-world-prefixed-path.tar'), async (l) => ({ blobs: l.blobDigests(), index: Buffer.from(l.indexBytes).toString(), extra: l.extraFiles }));
    expect(b).toEqual(a);
    expect(a.blobs).toHaveLength(4);
    await withLayout(HELLO, async (l) => {
      const r = await resolveImage(l, 'latest');
      expect(r.plain).toEqual({ mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', digest: HELLO_INDEX, size: 2561 });
      expect(r.kind).toBe('index');
      expect(r.children!.filter((c) => c.present).map((c) => c.descriptor.digest)).toEqual([HELLO_AMD64.digest]);
      const g = await walkLayout(l);
      expect(g.nodes.get(HELLO_AMD64.digest)!.parents).toEqual([HELLO_INDEX]);
      expect(g.nodes.get('sha256:2db29710123e3e53a794f2694094b9b4338aa9ee5c40b930cb8063a1be392c54')!.parents).toEqual([HELLO_AMD64.digest]);
    });
  });

  it('reads `-` from the stdin stream it is given, and refuses `-` without one (the library never touches process.stdin)', async () => {
    expect(await codeOf(openLayout('-'))).toBe('INPUT_NO_STDIN');
    for (const bytes of [readFileSync(HELLO), execFileSync('gzip', ['-c', HELLO])]) {
      const layout = await openLayout('-', { stdin: Readable.from([bytes]) });
      try {
        expect(layout.source.kind).toBe('stdin');
        expect(layout.blobDigests()).toHaveLength(4);
        expect((await resolveImage(layout, 'latest')).plain.digest).toBe(HELLO_INDEX);
      } finally {
        await layout.close();
      }
    }
  });

  it('verifies blobs on read and refuses big metadata reads', async () => {
    await withLayout(HELLO, async (l) => {
      const bytes = await l.readBlob(HELLO_AMD64);
      expect(bytes.length).toBe(525);
      expect(await codeOf(l.readBlob(HELLO_AMD64, 100))).toBe('LAYOUT_BLOB_TOO_LARGE');
      expect(await codeOf(l.readBlob({ ...HELLO_AMD64, size: 524 }))).toBe('LAYOUT_SIZE_MISMATCH');
      expect(await codeOf(l.readBlob({ ...HELLO_AMD64, digest: `sha256:${'0'.repeat(64)}` }))).toBe('LAYOUT_MISSING_BLOB');
      expect(JSON.parse(await text(l.openBlobStream(HELLO_AMD64) as NodeJS.ReadableStream & AsyncIterable<Buffer>)).schemaVersion).toBe(2);
    });
    // a tampered blob: readBlob and openBlobStream both fail
    const bad = join(work, 'tampered.tar');
    const bytes = readFileSync(HELLO);
    const at = bytes.indexOf(Buffer.from(`blobs/sha256/${HELLO_AMD64.digest.slice(7)}`));
    bytes[at + 512 + 20]! ^= 0x01;
    writeFileSync(bad, bytes);
    await withLayout(bad, async (l) => {
      expect(await codeOf(l.readBlob(HELLO_AMD64))).toBe('LAYOUT_DIGEST_MISMATCH');
      expect(await codeOf(text(l.openBlobStream(HELLO_AMD64) as NodeJS.ReadableStream & AsyncIterable<Buffer>))).toBe('LAYOUT_DIGEST_MISMATCH');
    });
  });

  it('limits JSON size and depth before parsing', async () => {
    expect(await codeOf(() => parseLayoutJson(Buffer.from('['.repeat(65) + ']'.repeat(65)), 'x'))).toBe('LAYOUT_JSON_TOO_DEEP');
    expect(parseLayoutJson(Buffer.from('{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}'), 'x')).toEqual({ a: '['.repeat(72) });
    expect(await codeOf(() => parseLayoutJson(Buffer.alloc(11), 'x', 10))).toBe('LAYOUT_JSON_TOO_LARGE');
    expect(await codeOf(() => parseLayoutJson(Buffer.from([0xff, 0xfe]), 'x'))).toBe('LAYOUT_BAD_JSON');
  });
});

describe('tolerance', () => {
  it('accepts an index.json without mediaType (umoci) and unknown media types', async () => {
    const dir = join(work, 'umoci');
    const b = buildRichLayout(dir);
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    delete index.mediaType;
    index.manifests.push({ mediaType: 'application/vnd.example.unknown+json', digest: `sha256:${'c'.repeat(64)}`, size: 10 });
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    await withLayout(dir, async (l) => {
      expect(l.index.mediaType).toBeUndefined();
      expect((await resolveImage(l)).plain.digest).toBe(b.index.digest);
      const g = await walkLayout(l);
      expect(g.nodes.get(`sha256:${'c'.repeat(64)}`)).toMatchObject({ role: 'other', present: false });
    });
  });
});

describe('resolveImage', () => {
  it('finds an image by tag, full name, short name, digest, and a platform child by digest', async () => {
    await withLayout(richTar, async (l) => {
      for (const ref of ['1.0', 'latest', 'docker.io/library/app:1.0', 'app:1.0', rich.index.digest, `docker.io/library/app@${rich.index.digest}`]) {
        const r = await resolveImage(l, ref);
        expect(r.plain.digest, ref).toBe(rich.index.digest);
      }
      const r = await resolveImage(l, '1.0');
      expect(r.descriptor.annotations!['org.opencontainers.image.ref.name']).toBe('1.0');
      expect(r.children!.map((c) => c.isAttestation)).toEqual([false, false, true, true]);
      expect(r.manifestBytes.length).toBe(rich.index.size);
      const child = await resolveImage(l, rich.arm64.digest);
      expect(child.kind).toBe('manifest');
      expect(child.descriptor.platform).toEqual({ architecture: 'arm64', os: 'linux', variant: 'v8' });
      expect((await resolveImage(l, 'other')).plain.digest).toBe(rich.other!.digest);
      expect((await resolveImage(l, 'other:2')).plain.digest).toBe(rich.other!.digest);
      expect(await codeOf(resolveImage(l))).toBe('LAYOUT_AMBIGUOUS_IMAGE');
      expect(await codeOf(resolveImage(l, 'nope'))).toBe('LAYOUT_IMAGE_NOT_FOUND');
      expect(await codeOf(resolveImage(l, `sha256:${'1'.repeat(64)}`))).toBe('LAYOUT_IMAGE_NOT_FOUND');
    });
    // hello-world: the index is the only image
    await withLayout(HELLO, async (l) => expect((await resolveImage(l)).plain.digest).toBe(HELLO_INDEX));
  });
});

describe('graph', () => {
  it('lists successors by media type, including subject', async () => {
    await withLayout(richTar, async (l) => {
      const sig = await l.readBlob(rich.notationSignature);
      expect(successors(rich.notationSignature.mediaType, sig).map((d) => d.digest).at(-1)).toBe(rich.index.digest);
      expect(successors(rich.index.mediaType, await l.readBlob(rich.index))).toHaveLength(4);
      expect(successors('application/octet-stream', sig)).toEqual([]);
      const g = await walkLayout(l);
      expect(g.referrers.get(rich.index.digest)).toEqual([rich.notationSignature.digest]);
      expect(g.referrers.get(rich.arm64.digest)).toEqual([rich.attestationArtifact.digest]);
      expect(g.nodes.get(rich.cosignSignature.digest)!.role).toBe('signature');
      expect(g.nodes.get(rich.attestationLegacy.digest)!.role).toBe('attestation');
      expect(g.nodes.get(rich.layers[0]!.digest)!.role).toBe('layer');
      expect(g.unreferencedBlobs).toEqual([]);
    });
  });

  it('fails the walk on a manifest that does not match its digest (it is not just "unreadable")', async () => {
    const dir = join(work, 'badmanifest');
    const b = buildRichLayout(dir);
    const path = join(dir, 'blobs', 'sha256', b.amd64.digest.slice(7));
    const bytes = readFileSync(path);
    rmSync(path);
    writeFileSync(path, Buffer.from(bytes).fill(0x20, 0, 1)); // same size, different digest
    await withLayout(dir, async (l) => {
      await expect(walkLayout(l)).rejects.toMatchObject({ code: 'LAYOUT_DIGEST_MISMATCH', message: expect.stringMatching(/does not match its digest/) });
    });
  });
});

describe('addIndexEntries', () => {
  it('keeps every existing field and entry, appends, and can replace a tag', () => {
    const original = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:' + 'a'.repeat(64) + '","size":1,"annotations":{"org.opencontainers.image.ref.name":"sha256-x.sig"},"x-unknown":true}],"annotations":{"k":"v"},"extra":[1,2]}');
    const entry = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'b'.repeat(64)}`, size: 2, annotations: { 'org.opencontainers.image.ref.name': 'sha256-x.sig' } };
    const added = JSON.parse(Buffer.from(addIndexEntries(original, [entry])).toString());
    expect(added.manifests).toHaveLength(2);
    expect(added.manifests[0]['x-unknown']).toBe(true);
    expect(added.annotations).toEqual({ k: 'v' });
    expect(added.extra).toEqual([1, 2]);
    expect(Object.keys(added)).toEqual(['schemaVersion', 'mediaType', 'manifests', 'annotations', 'extra']);
    const replaced = JSON.parse(Buffer.from(addIndexEntries(original, [entry], { replaceTags: true })).toString());
    expect(replaced.manifests).toEqual([entry]);
    // idempotent for an identical entry
    expect(JSON.parse(Buffer.from(addIndexEntries(addIndexEntries(original, [entry]), [entry])).toString()).manifests).toHaveLength(2);
  });
});

describe('writeLayout', () => {
  it('rewrites containerd vectors byte-for-byte (buildx header shape)', async () => {
    for (const name of ['hello-world.tar', 'hello-world-prefixed-path.tar']) {
      const out = join(work, `rewrite-${name}`);
      await withLayout(join(FIXTURES, name), (l) => writeLayout(l, {}, { output: out }));
      expect(readFileSync(out).equals(readFileSync(HELLO)), name).toBe(true);
    }
  });

  it('adds blobs and index.json to a directory layout in place, and to a tar atomically', async () => {
    const dir = join(work, 'dir-add');
    buildRichLayout(dir);
    const blob = Buffer.from('{"hello":"signature"}');
    const digest = `sha256:${execFileSync('sha256sum', { input: blob, encoding: 'utf8' }).split(' ')[0]}`;
    await withLayout(dir, async (l) => {
      const indexBytes = addIndexEntries(l.indexBytes, [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: blob.length }]);
      const r = await writeLayout(l, { addBlobs: [{ bytes: blob }], indexBytes }, {});
      expect(r).toMatchObject({ kind: 'directory', added: [digest] });
    });
    expect(readFileSync(join(dir, 'blobs', 'sha256', digest.slice(7))).equals(blob)).toBe(true);
    expect(readFileSync(join(dir, 'index.json'), 'utf8')).toContain(digest);

    const tar = join(work, 'add.tar');
    copyFileSync(richTar, tar);
    await withLayout(tar, (l) => writeLayout(l, { addBlobs: [{ bytes: blob }] }, {}));
    expect(execFileSync('tar', ['xOf', tar, `blobs/sha256/${digest.slice(7)}`]).equals(blob)).toBe(true);
  });

  it('needs --output for gzip and stdin sources', async () => {
    const gz = join(work, 'hello.tar.gz');
    writeFileSync(gz, execFileSync('gzip', ['-c', HELLO]));
    await withLayout(gz, async (l) => {
      expect(l.source.kind).toBe('gzip');
      expect(await codeOf(writeLayout(l, {}, {}))).toBe('OUTPUT_REQUIRED');
      const out = join(work, 'from-gz.tar');
      await writeLayout(l, {}, { output: out });
      expect(readFileSync(out).equals(readFileSync(HELLO))).toBe(true);
    });
  });
});
