/**
 * samples/*.tar: regenerating gives identical bytes, the tar shape is exactly BuildKit's (entry order,
 * header fields, JSON formatting), the layers are valid gzip/tar matching the configs' diff_ids, and
 * the real peer skopeo reads and copies them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadLikeOras } from '../helpers/oras-rules.js';
import { sha256File, sha256Hex } from '../helpers/sha256.js';
import { tempDir } from '../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLES = join(ROOT, 'samples');
const SCRIPT = join(ROOT, 'scripts', 'make-samples.mjs');
const NAMES = ['single.tar', 'multi.tar', 'docker.tar'] as const;

const tmp = tempDir('airsign-samples-');

function makeSamples(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function skopeo(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('skopeo', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`skopeo is not runnable (install it with scripts/install-test-deps.sh): ${r.error.message}`);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface RawEntry {
  name: string;
  header: Buffer;
  data: Buffer;
}

/** Minimal strict reader for the exact shape we expect (no extensions allowed). */
function readTar(path: string): { entries: RawEntry[]; trailer: Buffer } {
  const bytes = readFileSync(path);
  const entries: RawEntry[] = [];
  let offset = 0;
  for (;;) {
    const header = bytes.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) return { entries, trailer: bytes.subarray(offset) };
    const name = header.subarray(0, 100).toString('utf8').replace(/\0+$/, '');
    const size = parseInt(header.subarray(124, 135).toString('ascii'), 8);
    entries.push({ name, header, data: bytes.subarray(offset + 512, offset + 512 + size) });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
}

describe('make-samples', () => {
  it('regenerates byte-identical samples', () => {
    const out = join(tmp, 'regen');
    const r = makeSamples(['--out-dir', out]);
    expect(r.code, r.stderr).toBe(0);
    for (const name of NAMES) expect(sha256File(join(out, name)), name).toBe(sha256File(join(SAMPLES, name)));
    expect(readdirSync(out).sort()).toEqual([...NAMES].sort()); // no temp files left
  });

  it('samples/README.md states each file\'s size and sha256 truly', () => {
    const readme = readFileSync(join(SAMPLES, 'README.md'), 'utf8');
    for (const name of NAMES) {
      const path = join(SAMPLES, name);
      expect(readme).toContain(`| \`${name}\` | ${statSync(path).size} | \`${sha256File(path)}\` |`);
    }
  });

  it('writes a deterministic large sample with --size/--output', () => {
    const a = join(tmp, 'big-a.tar');
    const b = join(tmp, 'big-b.tar');
    expect(makeSamples(['--size', '3MiB', '--output', a]).code).toBe(0);
    expect(makeSamples(['--size', '3MiB', '--output', b]).code).toBe(0);
    expect(sha256File(a)).toBe(sha256File(b));
    expect(Math.abs(statSync(a).size - 3 * 1024 * 1024)).toBeLessThan(64 * 1024);
    const { entries } = readTar(a);
    const layerEntries = entries.filter((e) => e.data.length > 1024 * 1024);
    expect(layerEntries).toHaveLength(1);
    // The layer is a gzip'd tar holding one keystream file; its digest is its name.
    const layer = layerEntries[0]!;
    expect(sha256Hex(layer.data)).toBe(layer.name.slice('blobs/sha256/'.length));
    const inner = execFileSync('tar', ['-tvf', '-'], { input: gunzipSync(layer.data), encoding: 'utf8' });
    expect(inner).toMatch(/data\/blob-0\.bin/);
    const r = skopeo(['inspect', `oci-archive:${a}:big`]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).Layers).toEqual([`sha256:${sha256Hex(layer.data)}`]);
    // Several layers above 512 MiB per layer: checked by arithmetic only (bench makes the real one).
  });

  it('refuses bad arguments with exit 2 and one line of reason', () => {
    const r = makeSamples(['--size', 'lots', '--output', join(tmp, 'x.tar')]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/^make-samples: bad --size "lots"/);
    expect(existsSync(join(tmp, 'x.tar'))).toBe(false);
    expect(makeSamples(['--size', '1MiB']).code).toBe(2);
  });
});

describe.each(NAMES)('%s has the exact BuildKit tar shape', (name) => {
  const path = join(SAMPLES, name);
  const { entries, trailer } = readTar(path);

  it('entry order: blobs/, blobs/sha256/, blobs in hex order, index.json, [manifest.json], oci-layout', () => {
    const names = entries.map((e) => e.name);
    const blobs = names.filter((n) => n.startsWith('blobs/sha256/') && n.length > 'blobs/sha256/'.length);
    const expected = ['blobs/', 'blobs/sha256/', ...[...blobs].sort(), 'index.json', ...(name === 'docker.tar' ? ['manifest.json'] : []), 'oci-layout'];
    expect(names).toEqual(expected);
    expect(new Set(blobs).size).toBe(blobs.length);
  });

  it('headers: ustar 00, modes 0755/0444/0644, uid/gid 0, empty names, zero mtime, valid checksum', () => {
    for (const { name: entry, header } of entries) {
      const text = (from: number, len: number): string => header.subarray(from, from + len).toString('latin1');
      const mode = entry.endsWith('/') ? '0000755\0' : entry.endsWith('.json') ? '0000644\0' : '0000444\0';
      expect(text(100, 8), entry).toBe(mode);
      expect(text(108, 8)).toBe('0000000\0');
      expect(text(116, 8)).toBe('0000000\0');
      expect(text(136, 12)).toBe('00000000000\0');
      expect(text(156, 1)).toBe(entry.endsWith('/') ? '5' : '0');
      expect(text(257, 8)).toBe('ustar\u000000');
      expect(header.subarray(265, 329).every((b) => b === 0)).toBe(true); // uname, gname
      expect(text(329, 16)).toBe('0000000\u00000000000\u0000');
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
      expect(text(148, 8)).toBe(`${sum.toString(8).padStart(6, '0')}\0 `);
    }
    expect(trailer.length).toBe(1024); // two zero blocks, no record padding
    expect(trailer.every((b) => b === 0)).toBe(true);
  });

  it('blob names are their sha256; oci-layout and index.json bytes as BuildKit writes them', () => {
    const byName = new Map(entries.map((e) => [e.name, e.data]));
    for (const e of entries) if (e.name.startsWith('blobs/sha256/') && e.data.length > 0) expect(sha256Hex(e.data)).toBe(e.name.slice(13));
    expect(byName.get('oci-layout')!.toString()).toBe('{"imageLayoutVersion":"1.0.0"}');
    const indexText = byName.get('index.json')!.toString();
    expect(indexText).toBe(JSON.stringify(JSON.parse(indexText))); // compact, no newline
    const index = JSON.parse(indexText);
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    for (const d of index.manifests) {
      expect(d.annotations['org.opencontainers.image.created']).toBe('2025-06-01T12:00:00Z');
      expect(d.annotations['io.containerd.image.name']).toBe(`docker.io/library/app:${d.annotations['org.opencontainers.image.ref.name']}`);
      // BuildKit's own manifests and indexes: 2-space indent, no trailing newline.
      const manifest = byName.get(`blobs/sha256/${d.digest.slice(7)}`)!.toString();
      expect(manifest).toBe(JSON.stringify(JSON.parse(manifest), null, 2));
      expect(Buffer.byteLength(manifest)).toBe(d.size);
    }
  });

  it('layers are valid gzip/tar whose uncompressed digests are the config diff_ids', () => {
    const byDigest = new Map(entries.map((e) => [`sha256:${e.name.slice(13)}`, e.data]));
    const index = JSON.parse(entries.find((e) => e.name === 'index.json')!.data.toString());
    const manifests: Array<{ config: { digest: string }; layers: Array<{ mediaType: string; digest: string }> }> = [];
    for (const d of index.manifests) {
      const doc = JSON.parse(byDigest.get(d.digest)!.toString());
      if (doc.manifests) for (const m of doc.manifests) manifests.push(JSON.parse(byDigest.get(m.digest)!.toString()));
      else manifests.push(doc);
    }
    let checked = 0;
    for (const m of manifests) {
      const config = JSON.parse(byDigest.get(m.config.digest)?.toString() ?? '{}');
      if (config.architecture === 'unknown' || m.layers[0]!.mediaType === 'application/vnd.in-toto+json') continue;
      m.layers.forEach((layer, i) => {
        const blob = byDigest.get(layer.digest)!;
        const tar = layer.mediaType.endsWith('gzip') ? gunzipSync(blob) : blob;
        expect(`sha256:${sha256Hex(tar)}`).toBe(config.rootfs.diff_ids[i]);
        expect(execFileSync('tar', ['-tf', '-'], { input: tar, encoding: 'utf8' })).toMatch(/^app\/\napp\/\S+\n$/);
        checked++;
      });
    }
    expect(checked).toBeGreaterThanOrEqual(2);
  });
});

describe('skopeo (real peer) reads and copies the samples', () => {
  const cases: Array<[string, string | undefined]> = [
    ['single.tar', undefined],
    ['single.tar', '1.4'],
    ['multi.tar', '1.4'],
    ['multi.tar', 'latest'],
    // skopeo 1.9 looks tags up only among OCI-typed index.json entries, so the Docker-typed
    // docker.tar is addressed as the layout's only image (no tag).
    ['docker.tar', undefined],
  ];

  it.each(cases)('skopeo inspect and copy --all oci-archive:%s (tag %s)', (name, tag) => {
    const ref = `oci-archive:${join(SAMPLES, name)}${tag === undefined ? '' : `:${tag}`}`;
    const raw = skopeo(['inspect', '--raw', ref]);
    expect(raw.code, raw.stderr).toBe(0);
    const rawDigest = `sha256:${sha256Hex(Buffer.from(raw.stdout))}`;
    const layout = loadLikeOras(join(SAMPLES, name));
    expect(rawDigest).toBe(layout.resolve(tag ?? '1.4').digest);
    const info = skopeo(['inspect', ref]);
    expect(info.code, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout).Architecture).toBe('amd64');

    const dest = join(tmp, `copy-${name}-${tag ?? 'none'}`);
    // --preserve-digests: without it skopeo gzips multi.tar's uncompressed arm64 layer (its OCI
    // destination's default), rewriting the arm64 manifest and orphaning the attestation's subject.
    const copy = skopeo(['copy', '-q', '--all', '--preserve-digests', ref, `oci:${dest}:copied`]);
    expect(copy.code, copy.stderr).toBe(0);
    // Every blob of the source graph arrives unchanged (skopeo keeps digests when not converting).
    const copiedIndex = JSON.parse(readFileSync(join(dest, 'index.json'), 'utf8'));
    expect(copiedIndex.manifests[0].digest).toBe(rawDigest);
    for (const node of layout.nodes()) {
      const file = join(dest, 'blobs', 'sha256', node.digest.slice(7));
      expect(existsSync(file), `${node.mediaType} ${node.digest}`).toBe(true);
      expect(sha256File(file)).toBe(node.digest.slice(7));
    }
  });

  it('multi.tar picks the arm64 image for --override-arch arm64', () => {
    const r = skopeo(['--override-arch', 'arm64', 'inspect', `oci-archive:${join(SAMPLES, 'multi.tar')}:1.4`]);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.Architecture).toBe('arm64');
    expect(info.Layers).toHaveLength(3);
  });

  it('copies oci-archive to oci-archive (the bench command) with digests kept', () => {
    const out = join(tmp, 'copied.tar');
    const r = skopeo(['copy', '-q', '--all', `oci-archive:${join(SAMPLES, 'single.tar')}:1.4`, `oci-archive:${out}:1.4`]);
    expect(r.code, r.stderr).toBe(0);
    const copied = loadLikeOras(out);
    expect(copied.resolve('1.4').digest).toBe(loadLikeOras(join(SAMPLES, 'single.tar')).resolve('1.4').digest);
  });
});

describe('airsign strip → repack on the samples (engine against independently written tars)', () => {
  const runAirsign = (args: string[]) => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'airsign.js'), ...args], { encoding: 'utf8' });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const cases: Array<[string, string | undefined]> = [
    ['single.tar', undefined],
    ['multi.tar', '1.4'],
    ['docker.tar', undefined],
  ];

  it.each(cases)('%s: stripped tar loads by oras rules and skopeo; repack gives the original bytes', (name, reference) => {
    const dir = join(tmp, `rt-${name}`);
    const stripped = join(tmp, `rt-${name}-stripped.tar`);
    const repacked = join(tmp, `rt-${name}-repacked.tar`);
    const ref = reference === undefined ? [] : ['--reference', reference];
    const before = sha256File(join(SAMPLES, name));

    const strip = runAirsign(['strip', join(SAMPLES, name), '--directory', dir, '--output', stripped, ...ref]);
    expect(strip.code, strip.stderr).toBe(0);
    expect(sha256File(join(SAMPLES, name))).toBe(before); // input untouched with --output

    // The stripped tar still loads the oras-go way (missing layers are fine) with the same graph roots.
    const original = loadLikeOras(join(SAMPLES, name));
    const meta = loadLikeOras(stripped);
    expect(meta.tags()).toEqual(original.tags());
    expect(meta.manifests()).toEqual(original.manifests());
    const layersGone = original.nodes().filter((n) => !meta.exists(n));
    expect(layersGone.length).toBeGreaterThanOrEqual(2);
    for (const n of layersGone) expect(n.mediaType).toMatch(/layer|rootfs/);
    const tag = reference === undefined ? [] : [`:${reference}`];
    const raw = skopeo(['inspect', '--raw', `oci-archive:${stripped}${tag.join('')}`]);
    expect(raw.code, raw.stderr).toBe(0);

    const repack = runAirsign(['repack', stripped, '--directory', dir, '--output', repacked, ...ref]);
    expect(repack.code, repack.stderr).toBe(0);
    // Both writers produce BuildKit's exact shape, so the round trip is byte-identical.
    expect(sha256File(repacked)).toBe(before);
  });
});

describe('npm run bench (scripts/bench.sh) on tiny samples', () => {
  // --no-build: dist/ was built once by test/global-setup.ts; recompiling it here would break the
  // tests other workers are running from dist/ at the same moment.
  it('measures every step, checks the outputs, and prints the table with ratios and RSS', () => {
    const dir = join(tmp, 'bench');
    const r = spawnSync('bash', [join(ROOT, 'scripts', 'bench.sh'), '--dir', dir, '--sizes', '1MiB 2MiB', '--runs', '1', '--floors', '--no-build'], {
      encoding: 'utf8',
      cwd: ROOT,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('building dist/');
    const results = JSON.parse(readFileSync(join(dir, 'bench-results.json'), 'utf8')).results as Array<{
      size: string;
      step: string;
      medianSeconds: number;
      peakRssMiB: number;
      vsOpenssl: number;
      vsDurableCp: number;
      vsSkopeo: number;
    }>;
    const steps = ['openssl-sha256', 'airsign-strip', 'airsign-repack', 'airsign-sign', 'airsign-verify', 'cp', 'cp+fsync', 'dd-direct', 'airsign-engine-copy', 'skopeo-copy'];
    for (const size of ['1MiB', '2MiB']) {
      expect(results.filter((x) => x.size === size).map((x) => x.step)).toEqual(steps);
    }
    for (const x of results) {
      expect(x.medianSeconds).toBeGreaterThan(0);
      expect(x.peakRssMiB).toBeGreaterThan(0);
      expect(x.vsOpenssl).toBeGreaterThan(0);
      expect(x.vsDurableCp).toBeGreaterThan(0);
    }
    expect(r.stdout).toMatch(/\| size +\| step +\| median s/);
    expect(r.stdout).toMatch(/airsign-strip: peak RSS [\d.]+ MiB at 1MiB, [\d.]+ MiB at 2MiB/);
    expect(r.stdout).toMatch(/load average at 2MiB: [\d.]+ [\d.]+ [\d.]+ at start, [\d.]+ [\d.]+ [\d.]+ at end/);
    expect(r.stdout).toMatch(/\| 1MiB +\| airsign-verify +\|.*\| <= 1\.15 +\|/);
    expect(existsSync(join(dir, 'work'))).toBe(false); // outputs removed
    expect(existsSync(join(dir, 'hsm'))).toBe(false); // the SoftHSM token too
  }, 120_000);

  it("defaults to issue 19's table: 1 GiB and 2 GiB samples, median of 5", () => {
    const r = spawnSync('bash', [join(ROOT, 'scripts', 'bench.sh'), '--help'], { encoding: 'utf8', cwd: ROOT });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--sizes "A B"    sample sizes (BENCH_SIZES, default "1GiB 2GiB")');
    expect(r.stdout).toContain('--runs N         runs per step (BENCH_RUNS, default 5)');
  });
});
