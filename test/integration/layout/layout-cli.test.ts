import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, statSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliShellWords, runCli } from '../../helpers/cli.js';
import { buildRichLayout, type RichLayout } from './build-fixtures.js';
import { openLayout } from '../../../src/layout/open-layout.js';
import { addIndexEntries } from '../../../src/layout/index-edit.js';
import { writeLayout } from '../../../src/layout/write-layout.js';
import { sha256File, sha256Hex } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/layout');
const work = tempDir('airsign-layout-cli-');
let rich: RichLayout;
let richTar: string;

beforeAll(() => {
  rich = buildRichLayout(join(work, 'rich-dir'));
  richTar = rich.builder.tar(join(work, 'rich.tar'));
});

function fresh(name: string, from = richTar): string {
  const dir = mkdtempSync(join(work, `${name}-`));
  const path = join(dir, 'image.tar');
  copyFileSync(from, path);
  return path;
}

function tarList(path: string): string[] {
  return execFileSync('tar', ['tf', path], { encoding: 'utf8' }).trim().split('\n');
}

function blobSet(path: string): string[] {
  return tarList(path).filter((n) => /^blobs\/sha256\/[a-f0-9]{64}$/.test(n)).sort();
}

function tarFile(path: string, member: string): Buffer {
  return execFileSync('tar', ['xOf', path, member], { maxBuffer: 64 * 1024 * 1024 });
}

describe('inspect', () => {
  it('shows the tree, tags, platforms, attestations and signatures (text)', () => {
    const r = runCli(['inspect', richTar]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('1.0 -> sha256:');
    expect(r.stdout).toContain('linux/amd64');
    expect(r.stdout).toContain('linux/arm64/v8');
    expect(r.stdout).toMatch(/attestation/);
    expect(r.stdout).toMatch(/signature\s+sha256:[a-f0-9]{12} -> subject/);
    expect(r.stdout).toContain(`cosign tag  sha256-${rich.index.digest.slice(7)}.sig`);
  });

  it('prints one stable JSON document', () => {
    const r = runCli(['inspect', richTar, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.source.kind).toBe('tar');
    expect(report.tags.map((t: { tag: string }) => t.tag)).toEqual(['1.0', 'latest', `sha256-${rich.index.digest.slice(7)}.sig`]);
    expect(report.images).toHaveLength(1);
    const image = report.images[0];
    expect(image.digest).toBe(rich.index.digest);
    expect(image.role).toBe('index');
    expect(image.stripped).toBe(false);
    expect(image.layers).toEqual({ present: 3, missing: 0, presentBytes: rich.layers.reduce((n, l) => n + l.size, 0), missingBytes: 0 });
    const roles = image.children.map((c: { role: string; platform?: string }) => `${c.role}:${c.platform}`);
    expect(roles).toEqual(['manifest:linux/amd64', 'manifest:linux/arm64/v8', 'attestation:unknown/unknown', 'attestation:unknown/unknown']);
    expect(image.children[0].children.map((c: { role: string }) => c.role)).toEqual(['config', 'layer', 'layer']);
    expect(image.children[2].children.map((c: { role: string }) => c.role)).toEqual(['config', 'attestation']);
    expect(image.referrers).toEqual([rich.notationSignature.digest]);
    const referrers = report.referrers.map((x: { digest: string; role: string; subject: string; artifactType: string }) => [x.digest, x.role, x.subject, x.artifactType]);
    expect(referrers).toContainEqual([rich.notationSignature.digest, 'signature', rich.index.digest, 'application/vnd.cncf.notary.signature']);
    expect(referrers).toContainEqual([rich.attestationArtifact.digest, 'attestation', rich.arm64.digest, 'application/vnd.docker.attestation.manifest.v1+json']);
    expect(report.cosignTags).toEqual([{ tag: `sha256-${rich.index.digest.slice(7)}.sig`, digest: rich.cosignSignature.digest, subject: rich.index.digest, kind: 'sig', present: true }]);
    expect(report.blobs.missing).toBe(0);
  });

  it('reads both oras-go vector tars the same way', () => {
    const a = JSON.parse(runCli(['inspect', join(FIXTURES, 'hello-world.tar'), '--json']).stdout);
    const b = JSON.parse(runCli(['inspect', join(FIXTURES, 'hello-world-prefixed-path.tar'), '--json']).stdout);
    delete a.source;
    delete b.source;
    expect(b).toEqual(a);
    expect(a.tags).toEqual([{ tag: 'latest', name: 'docker.io/library/hello-world:latest', digest: 'sha256:faa03e786c97f07ef34423fccceeec2398ec8a5759259f94d99078f264e9d7af', mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json' }]);
    expect(a.images[0].children).toHaveLength(11);
    expect(a.images[0].children.filter((c: { present: boolean }) => c.present).map((c: { platform: string }) => c.platform)).toEqual(['linux/amd64']);
    expect(a.blobs.present).toBe(4);
    expect(a.extraFiles).toEqual(['manifest.json']);
  });

  it('reads a gzip-compressed tar, stdin (pipe and redirected file) and a layout directory alike', () => {
    const gz = join(work, 'rich.tar.gz');
    execFileSync('sh', ['-c', `gzip -c '${richTar}' > '${gz}'`]);
    const strip = (r: { stdout: string }) => {
      const j = JSON.parse(r.stdout);
      delete j.source;
      return j;
    };
    const spoolDir = mkdtempSync(join(work, 'tmpdir-'));
    const env = { ...process.env, TMPDIR: spoolDir };
    const base = strip(runCli(['inspect', richTar, '--json']));
    expect(strip(runCli(['inspect', gz, '--json'], { env }))).toEqual(base);
    expect(strip(runCli(['inspect', '-', '--json'], { input: readFileSync(richTar), env }))).toEqual(base);
    expect(strip(runCli(['inspect', '-', '--json'], { input: readFileSync(gz), env }))).toEqual(base);
    const redirected = spawnSync('sh', ['-c', `${cliShellWords()} inspect - --json < '${richTar}'`], { encoding: 'utf8' });
    expect(redirected.status, redirected.stderr).toBe(0);
    expect(strip(redirected)).toEqual(base);
    const dir = strip(runCli(['inspect', rich.builder.dir, '--json']));
    expect(dir).toEqual(base);
    // no spool files left behind
    expect(readdirSync(spoolDir)).toEqual([]);
  });
});

describe('strip and repack', () => {
  it('round-trips: same blob set and byte-identical index.json; layers verified into the directory', () => {
    const input = fresh('roundtrip');
    const before = readFileSync(input);
    const layers = join(work, 'roundtrip-layers');
    const stripped = join(work, 'roundtrip-stripped.tar');
    const s = runCli(['strip', input, '--directory', layers, '--output', stripped, '--json']);
    expect(s.code, s.stderr).toBe(0);
    const result = JSON.parse(s.stdout);
    expect(result.stripped.map((b: { digest: string }) => b.digest).sort()).toEqual(rich.layers.map((l) => l.digest).sort());
    expect(readFileSync(input).equals(before)).toBe(true); // --output leaves input alone
    for (const l of rich.layers) {
      expect(sha256File(join(layers, 'sha256', l.digest.slice(7)))).toBe(l.digest.slice(7));
      expect(blobSet(stripped)).not.toContain(`blobs/sha256/${l.digest.slice(7)}`);
    }
    expect(tarFile(stripped, 'index.json').equals(tarFile(input, 'index.json'))).toBe(true);
    expect(blobSet(stripped)).toContain(`blobs/sha256/${rich.attestationLegacy.digest.slice(7)}`);
    const inspected = JSON.parse(runCli(['inspect', stripped, '--json']).stdout);
    expect(inspected.images[0].stripped).toBe(true);
    expect(runCli(['inspect', stripped]).stdout).toContain('STRIPPED/MISSING');

    const repacked = join(work, 'roundtrip-repacked.tar');
    const r = runCli(['repack', stripped, '--directory', layers, '--output', repacked]);
    expect(r.code, r.stderr).toBe(0);
    expect(blobSet(repacked)).toEqual(blobSet(input));
    expect(tarFile(repacked, 'index.json').equals(tarFile(input, 'index.json'))).toBe(true);
    for (const l of rich.layers) expect(sha256Hex(tarFile(repacked, `blobs/sha256/${l.digest.slice(7)}`))).toBe(l.digest.slice(7));
  });

  it('strips and repacks in place (atomic replace) without leaving temp files', () => {
    const input = fresh('inplace');
    const original = readFileSync(input);
    const layers = join(work, 'inplace-layers');
    chmodSync(input, 0o640);
    expect(runCli(['strip', input, '-d', layers]).code).toBe(0);
    expect(statSync(input).mode & 0o777).toBe(0o640);
    expect(readFileSync(input).length).toBeLessThan(original.length / 4);
    expect(runCli(['repack', input, '-d', layers]).code).toBe(0);
    expect(readdirSync(join(input, '..'))).toEqual(['image.tar']);
    expect(blobSet(input)).toEqual(blobSet(richTar));
  });

  it('repack keeps blobs and index.json entries the stripped tar gained meanwhile', async () => {
    const input = fresh('gained');
    const layers = join(work, 'gained-layers');
    expect(runCli(['strip', input, '-d', layers]).code).toBe(0);
    // A signer adds a signature manifest and an index.json entry to the stripped tar.
    const layout = await openLayout(input);
    const envelope = Buffer.from('{"new":"envelope"}');
    const envDigest = `sha256:${sha256Hex(envelope)}`;
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.cncf.notary.signature', config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 }, layers: [{ mediaType: 'application/cose', digest: envDigest, size: envelope.length }], subject: { mediaType: rich.index.mediaType, digest: rich.index.digest, size: rich.index.size } }));
    const entry = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${sha256Hex(manifest)}`, size: manifest.length, artifactType: 'application/vnd.cncf.notary.signature' };
    const indexBytes = addIndexEntries(layout.indexBytes, [entry]);
    await writeLayout(layout, { addBlobs: [{ bytes: envelope }, { bytes: manifest }], indexBytes }, {});
    await layout.close();
    const r = runCli(['repack', input, '-d', layers, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(tarFile(input, 'index.json').equals(Buffer.from(indexBytes))).toBe(true);
    const blobs = blobSet(input);
    expect(blobs).toEqual([...blobSet(richTar), `blobs/sha256/${envDigest.slice(7)}`, `blobs/sha256/${entry.digest.slice(7)}`].sort());
    const report = JSON.parse(runCli(['inspect', input, '--json']).stdout);
    expect(report.images[0].referrers).toEqual([rich.notationSignature.digest, entry.digest]);
  });

  it('picks an image with --reference, records it, and refuses without one when there are several', () => {
    const multiDir = join(work, 'multi-dir');
    const multi = buildRichLayout(multiDir, { otherImage: true });
    const tar = multi.builder.tar(join(work, 'multi.tar'));
    const input = fresh('multi', tar);
    const before = sha256File(input);
    const amb = runCli(['strip', input, '-d', join(work, 'multi-none')]);
    expect(amb.code).toBe(2);
    expect(amb.stderr).toMatch(/holds 2 images; pick one with --reference/);
    expect(sha256File(input)).toBe(before);
    const layers = join(work, 'multi-layers');
    const s = runCli(['strip', input, '-d', layers, '-r', 'other:2', '--json']);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).image.digest).toBe(multi.other!.digest);
    expect(JSON.parse(readFileSync(join(layers, 'airsign-strip.json'), 'utf8')).reference).toBe('other:2');
    // the other image's layers stay
    for (const l of multi.layers) expect(blobSet(input)).toContain(`blobs/sha256/${l.digest.slice(7)}`);
    const wrong = runCli(['repack', input, '-d', layers, '-r', 'app:1.0']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/STRIP|holds layers of/);
    expect(runCli(['repack', input, '-d', layers]).code).toBe(0);
    expect(blobSet(input)).toEqual(blobSet(tar));
  });

  it('writes tars that skopeo reads (inspect and copy to an oci directory)', () => {
    const input = fresh('skopeo');
    const layers = join(work, 'skopeo-layers');
    const stripped = join(work, 'skopeo-stripped.tar');
    const repacked = join(work, 'skopeo-repacked.tar');
    expect(runCli(['strip', input, '-d', layers, '-o', stripped]).code).toBe(0);
    expect(runCli(['repack', stripped, '-d', layers, '-o', repacked]).code).toBe(0);
    const raw = execFileSync('skopeo', ['inspect', '--raw', `oci-archive:${repacked}:1.0`], { encoding: 'utf8' });
    expect(sha256Hex(Buffer.from(raw))).toBe(rich.index.digest.slice(7));
    const cfg = JSON.parse(execFileSync('skopeo', ['inspect', '--override-arch', 'arm64', `oci-archive:${repacked}:1.0`], { encoding: 'utf8' }));
    expect(cfg.Architecture).toBe('arm64');
    const out = join(work, 'skopeo-out');
    execFileSync('skopeo', ['copy', '--all', `oci-archive:${repacked}:1.0`, `oci:${out}:1.0`], { stdio: 'pipe' });
    for (const l of rich.layers) expect(sha256File(join(out, 'blobs', 'sha256', l.digest.slice(7)))).toBe(l.digest.slice(7));
    // the stripped tar still serves its manifests and configs
    const strippedRaw = execFileSync('skopeo', ['inspect', '--raw', `oci-archive:${stripped}:1.0`], { encoding: 'utf8' });
    expect(sha256Hex(Buffer.from(strippedRaw))).toBe(rich.index.digest.slice(7));
    // and a plain rewrite of the containerd vector is byte-identical to it
    const rewritten = join(work, 'hello-rewritten.tar');
    const hello = fresh('hello', join(FIXTURES, 'hello-world-prefixed-path.tar'));
    const layers2 = join(work, 'hello-layers');
    expect(runCli(['strip', hello, '-d', layers2]).code).toBe(0);
    expect(runCli(['repack', hello, '-d', layers2, '-o', rewritten]).code).toBe(0);
    expect(readFileSync(rewritten).equals(readFileSync(join(FIXTURES, 'hello-world.tar')))).toBe(true);
    // skopeo cannot pick a Docker manifest list by tag in an OCI layout (also not in the original vector), so no tag here
    expect(execFileSync('skopeo', ['inspect', '--raw', `oci-archive:${rewritten}`], { encoding: 'utf8' })).toContain('manifest.list.v2+json');
  });

  it('strips and repacks a layout directory in place', () => {
    const dir = join(work, 'dir-layout');
    const d = buildRichLayout(dir);
    const layers = join(work, 'dir-layers');
    expect(runCli(['strip', dir, '-d', layers]).code).toBe(0);
    for (const l of d.layers) expect(existsSync(join(dir, 'blobs', 'sha256', l.digest.slice(7)))).toBe(false);
    expect(runCli(['repack', dir, '-d', layers]).code).toBe(0);
    for (const l of d.layers) expect(sha256File(join(dir, 'blobs', 'sha256', l.digest.slice(7)))).toBe(l.digest.slice(7));
  });
});

describe('command line', () => {
  it.each(['inspect', 'strip', 'repack'])('%s --help shows usage with examples', (command) => {
    const r = runCli([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`airsign ${command} <layout>`);
    expect(r.stdout).toMatch(/Examples:/);
  });

  it('refuses a missing --directory and a missing input with exit 2 and one line', () => {
    const a = runCli(['strip', richTar]);
    expect(a.code).toBe(2);
    expect(a.stderr).toBe("airsign: missing required option --directory (see 'airsign strip --help')\n");
    const b = runCli(['inspect', join(work, 'does-not-exist.tar')]);
    expect(b.code).toBe(2);
    expect(b.stderr.trimEnd().split('\n')).toEqual([`airsign: error: ${join(work, 'does-not-exist.tar')}: no such file`]);
    const c = runCli(['strip', '-', '-d', join(work, 'stdin-layers')], { input: readFileSync(richTar) });
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/give --output/);
  });

  it('strips from stdin to --output', () => {
    const out = join(work, 'from-stdin.tar');
    const r = runCli(['strip', '-', '-d', join(work, 'stdin-layers2'), '-o', out], { input: readFileSync(richTar) });
    expect(r.code, r.stderr).toBe(0);
    expect(blobSet(out).length).toBe(blobSet(richTar).length - 3);
  });
});

export { mkdirSync, writeFileSync };
