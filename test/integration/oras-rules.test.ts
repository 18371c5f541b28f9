/**
 * Tests of the oras-go rules checker (test/helpers/oras-rules.ts) on public vectors (oras-go's own
 * test tars, notation's e2e layouts), on our samples, and on tars made here with the system `tar`
 * to hit each rule.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { goPathClean, loadLikeOras, OrasRuleError, refNameTags, type OrasLayout } from '../helpers/oras-rules.js';
import { sha256Digest } from '../helpers/sha256.js';
import { tempDir } from '../helpers/temp-dir.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const SAMPLES = fileURLToPath(new URL('../../samples/', import.meta.url));
const OCI_TARS = join(FIXTURES, 'layout');
const NOTATION = join(FIXTURES, 'notation-layouts');

const tmp = tempDir('airsign-oras-rules-');
let counter = 0;
const scratch = (name: string): string => join(tmp, `${counter++}-${name}`);

/** Tars a layout directory with the system tar. `prefixed` adds `./` (and a `./` entry) as `tar -C dir .` does. */
function tarDir(dir: string, options: { prefixed?: boolean; format?: 'gnu' | 'pax' | 'ustar' } = {}): string {
  const out = scratch('layout.tar');
  const format = `--format=${options.format ?? 'gnu'}`;
  const members = options.prefixed ? ['.'] : readdirSync(dir).sort();
  execFileSync('tar', ['-cf', out, format, '-C', dir, ...members]);
  return out;
}

const HELLO_LIST = {
  mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
  digest: 'sha256:faa03e786c97f07ef34423fccceeec2398ec8a5759259f94d99078f264e9d7af',
  size: 2561,
};
const HELLO_AMD64 = {
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  digest: 'sha256:f54a58bc1aac5ea1a25d796ae155dc228b3f0e11d046ae276b39c4bf2f13d8c4',
  size: 525,
};
const HELLO_CONFIG = {
  mediaType: 'application/vnd.docker.container.image.v1+json',
  digest: 'sha256:feb5d9fea6a5e9606aa995e879d862b825965ba48de054caab5ef356dc6b3412',
  size: 1469,
};
const HELLO_LAYER = {
  mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  digest: 'sha256:2db29710123e3e53a794f2694094b9b4338aa9ee5c40b930cb8063a1be392c54',
  size: 2479,
};

const NOTATION_V1 = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: 'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9',
  size: 517,
};
const NOTATION_SIG = 'sha256:90ceaff260d657d797c408ac73564a9c7bb9d86055877c2a811f0e63b8c6524f';
const NOTARY_SIGNATURE = 'application/vnd.cncf.notary.signature';

function expectRule(fn: () => unknown, code: OrasRuleError['code']): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OrasRuleError);
    expect((error as OrasRuleError).code).toBe(code);
    return;
  }
  throw new Error(`expected OrasRuleError ${code}, nothing was thrown`);
}

describe('goPathClean', () => {
  it('matches Go path.Clean on the shapes tars contain', () => {
    expect(goPathClean('./blobs/sha256/ab')).toBe('blobs/sha256/ab');
    expect(goPathClean('blobs/')).toBe('blobs');
    expect(goPathClean('./')).toBe('.');
    expect(goPathClean('')).toBe('.');
    expect(goPathClean('a//b/./c/..')).toBe('a/b');
    expect(goPathClean('../x')).toBe('../x');
    expect(goPathClean('/../x')).toBe('/x');
    expect(goPathClean('/')).toBe('/');
  });
});

describe('oras-go vector tars (hello-world)', () => {
  for (const name of ['hello-world.tar', 'hello-world-prefixed-path.tar']) {
    describe(name, () => {
      const layout = loadLikeOras(join(OCI_TARS, name));

      it('resolves the tag to the full index.json descriptor', () => {
        const desc = layout.resolve('latest');
        expect(desc).toMatchObject(HELLO_LIST);
        expect(desc.annotations).toEqual({
          'io.containerd.image.name': 'docker.io/library/hello-world:latest',
          'org.opencontainers.image.ref.name': 'latest',
        });
        expect(refNameTags(layout)).toEqual(['latest']);
      });

      it('resolves the tagged digest to a plain descriptor and blob-only digests as octet-stream', () => {
        expect(layout.resolve(HELLO_LIST.digest)).toEqual(HELLO_LIST);
        for (const blob of [HELLO_AMD64, HELLO_CONFIG, HELLO_LAYER]) {
          expect(layout.resolve(blob.digest)).toEqual({ mediaType: 'application/octet-stream', digest: blob.digest, size: blob.size });
        }
      });

      it('does not treat io.containerd.image.name as a tag', () => {
        expectRule(() => layout.resolve('docker.io/library/hello-world:latest'), 'NOT_FOUND');
        expectRule(() => layout.resolve('sha256:' + '0'.repeat(64)), 'NOT_FOUND');
      });

      it('walks the graph, tolerating the 10 missing platform manifests', () => {
        expect(layout.manifests().map((d) => d.digest)).toEqual([HELLO_LIST.digest, HELLO_AMD64.digest]);
        expect(layout.nodes()).toHaveLength(1 + 11 + 2);
        expect(layout.predecessors(HELLO_AMD64)).toEqual([HELLO_LIST]);
        expect(layout.predecessors(HELLO_CONFIG)).toEqual([HELLO_AMD64]);
        expect(layout.predecessors(HELLO_LAYER)).toEqual([HELLO_AMD64]);
        expect(layout.referrers(HELLO_AMD64)).toEqual([]);
      });
    });
  }
});

describe('notation e2e layouts', () => {
  const loadBoth = (dir: string): OrasLayout[] => [
    loadLikeOras(tarDir(join(NOTATION, dir), { prefixed: true })),
    loadLikeOras(tarDir(join(NOTATION, dir), { format: 'ustar' })),
    loadLikeOras(join(NOTATION, dir)),
  ];

  it('finds the signature as a referrer of the v1 manifest (e2e-valid-signature)', () => {
    for (const layout of loadBoth('e2e-valid-signature')) {
      expect(layout.resolve('v1')).toMatchObject(NOTATION_V1);
      const refs = layout.referrers(NOTATION_V1);
      expect(refs.map((r) => r.digest)).toEqual([NOTATION_SIG]);
      expect(refs[0]!.artifactType).toBe(NOTARY_SIGNATURE);
      expect(refs[0]!.annotations).toHaveProperty(['io.cncf.notary.x509chain.thumbprint#S256']);
      expect(layout.referrers(NOTATION_V1, NOTARY_SIGNATURE)).toHaveLength(1);
      expect(layout.referrers(NOTATION_V1, 'application/example')).toHaveLength(0);
      // The tag-schema index is an ordinary tag for oras; it is not a referrer.
      expect(layout.resolve(`sha256-${NOTATION_V1.digest.slice(7)}`).mediaType).toBe('application/vnd.oci.image.index.v1+json');
    }
  });

  it('finds both signatures in e2e-valid-multiple-signatures (one is only in index.json)', () => {
    for (const layout of loadBoth('e2e-valid-multiple-signatures')) {
      const digests = layout.referrers(NOTATION_V1).map((r) => r.digest).sort();
      expect(digests).toEqual([NOTATION_SIG, 'sha256:c3ebe4a20b6832328fc5078a7795ddc1114b896e13fca2add38109c3866b5fbf']);
    }
  });

  it('finds the signature with no tag-schema index (e2e-with-timestamped-signature)', () => {
    for (const layout of loadBoth('e2e-with-timestamped-signature')) {
      const v1 = layout.resolve('v1');
      const refs = layout.referrers({ mediaType: v1.mediaType, digest: v1.digest, size: v1.size });
      expect(refs.map((r) => r.digest)).toEqual(['sha256:6a5cd3a886707a317935dcaf13954fc80ef9aeb665262b6ae4fe469ad7ea3aea']);
      expect(refs[0]!.artifactType).toBe(NOTARY_SIGNATURE);
    }
  });

  it('has no referrers for the unsigned layout (e2e)', () => {
    for (const layout of loadBoth('e2e')) expect(layout.referrers(NOTATION_V1)).toEqual([]);
  });

  it('matches referrers by mediaType, digest and size exactly', () => {
    const layout = loadLikeOras(join(NOTATION, 'e2e-valid-signature'));
    expect(layout.referrers({ ...NOTATION_V1, size: 518 })).toEqual([]);
    expect(layout.referrers({ ...NOTATION_V1, mediaType: 'application/vnd.docker.distribution.manifest.v2+json' })).toEqual([]);
  });
});

describe('samples/', () => {
  it('single.tar: tag 1.4 only (the containerd name is no tag), manifest with two layers', () => {
    const layout = loadLikeOras(join(SAMPLES, 'single.tar'));
    expect(refNameTags(layout)).toEqual(['1.4']);
    const desc = layout.resolve('1.4');
    expect(desc.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(desc.platform).toEqual({ architecture: 'amd64', os: 'linux' });
    expect(layout.manifests()).toHaveLength(1);
    expect(layout.nodes()).toHaveLength(4);
    for (const node of layout.nodes()) expect(layout.exists(node)).toBe(true);
  });

  it('multi.tar: two tags for one index; only the artifact-shape attestation is a referrer', () => {
    const layout = loadLikeOras(join(SAMPLES, 'multi.tar'));
    expect(refNameTags(layout).sort()).toEqual(['1.4', 'latest']);
    const root = layout.resolve('latest');
    expect(layout.resolve('1.4').digest).toBe(root.digest);
    const index = JSON.parse(Buffer.from(layout.fetch(root)).toString()) as { manifests: Array<{ mediaType: string; digest: string; size: number; platform: { architecture: string } }> };
    expect(index.manifests.map((m) => m.platform.architecture)).toEqual(['amd64', 'arm64', 'unknown', 'unknown']);
    const [amd, arm, attA, attB] = index.manifests.map((m) => ({ mediaType: m.mediaType, digest: m.digest, size: m.size }));
    expect(layout.referrers(amd!)).toEqual([]);
    const refs = layout.referrers(arm!);
    expect(refs.map((r) => r.digest)).toEqual([attB!.digest]);
    expect(refs[0]!.artifactType).toBe('application/vnd.docker.attestation.manifest.v1+json');
    expect(layout.manifests().map((m) => m.digest).sort()).toEqual([root.digest, amd!.digest, arm!.digest, attA!.digest, attB!.digest].sort());
  });

  it('docker.tar: Docker v2 manifest, manifest.json ignored', () => {
    const layout = loadLikeOras(join(SAMPLES, 'docker.tar'));
    expect(layout.resolve('1.4').mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(layout.manifests()).toHaveLength(1);
  });
});

describe('loading rules (hand-made tars)', () => {
  /** A copy of notation's e2e-valid-signature to mutate. */
  function layoutCopy(): string {
    const dir = scratch('layout');
    cpSync(join(NOTATION, 'e2e-valid-signature'), dir, { recursive: true });
    return dir;
  }

  it('requires oci-layout with imageLayoutVersion exactly 1.0.0', () => {
    const dir = layoutCopy();
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.1"}');
    expectRule(() => loadLikeOras(tarDir(dir)), 'BAD_OCI_LAYOUT');
    rmSync(join(dir, 'oci-layout'));
    expectRule(() => loadLikeOras(tarDir(dir)), 'BAD_OCI_LAYOUT');
  });

  it('requires index.json and valid JSON in it', () => {
    const dir = layoutCopy();
    writeFileSync(join(dir, 'index.json'), '{"schemaVersion":2,');
    expectRule(() => loadLikeOras(tarDir(dir)), 'BAD_JSON');
    rmSync(join(dir, 'index.json'));
    expectRule(() => loadLikeOras(tarDir(dir)), 'NO_INDEX');
  });

  it('indexes duplicate entries last-wins', () => {
    const dir = layoutCopy();
    const tar = tarDir(dir);
    // Append a second index.json that lists only the v1 manifest: the signature is then unreachable.
    const other = scratch('other');
    mkdirSync(other);
    writeFileSync(
      join(other, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [{ ...NOTATION_V1, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }] }),
    );
    expect(loadLikeOras(tar).referrers(NOTATION_V1)).toHaveLength(1);
    execFileSync('tar', ['-rf', tar, '-C', other, 'index.json']);
    expect(loadLikeOras(tar).referrers(NOTATION_V1)).toHaveLength(0);
  });

  it('only opens regular files (symlinked index.json fails)', () => {
    const dir = layoutCopy();
    const real = join(dir, 'real-index.json');
    cpSync(join(dir, 'index.json'), real);
    rmSync(join(dir, 'index.json'));
    symlinkSync('real-index.json', join(dir, 'index.json'));
    const tar = scratch('link.tar');
    execFileSync('tar', ['-cf', tar, '-C', dir, 'oci-layout', 'index.json', 'real-index.json', 'blobs']);
    expectRule(() => loadLikeOras(tar), 'NOT_REGULAR');
  });

  it('tolerates missing layers and configs but fails on a manifest whose bytes do not match', () => {
    const dir = layoutCopy();
    // Drop the v1 manifest's layer and config: still loads, signature still found.
    const manifest = JSON.parse(execFileSync('cat', [join(dir, 'blobs/sha256', NOTATION_V1.digest.slice(7))], { encoding: 'utf8' })) as {
      config: { digest: string };
      layers: Array<{ digest: string }>;
    };
    rmSync(join(dir, 'blobs/sha256', manifest.layers[0]!.digest.slice(7)));
    const layout = loadLikeOras(tarDir(dir));
    expect(layout.referrers(NOTATION_V1)).toHaveLength(1);
    expect(layout.exists(manifest.layers[0]!)).toBe(false);
    // Corrupt the signature manifest (same size, different bytes): the whole load fails.
    const sigPath = join(dir, 'blobs/sha256', NOTATION_SIG.slice(7));
    const bytes = Buffer.from(execFileSync('cat', [sigPath]));
    bytes[bytes.length - 2] = bytes[bytes.length - 2] === 0x7d ? 0x20 : 0x7d;
    writeFileSync(sigPath, bytes);
    expect(sha256Digest(bytes)).not.toBe(NOTATION_SIG);
    expectRule(() => loadLikeOras(tarDir(dir)), 'MISMATCH');
  });

  it('ignores a referrer that index.json does not list', () => {
    const dir = layoutCopy();
    writeFileSync(
      join(dir, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [{ ...NOTATION_V1, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }] }),
    );
    expect(loadLikeOras(tarDir(dir)).referrers(NOTATION_V1)).toEqual([]);
  });

  it('reads PAX and GNU long names the same as ustar', () => {
    const dir = layoutCopy();
    writeFileSync(join(dir, `${'x'.repeat(150)}.txt`), 'unknown files are allowed\n');
    for (const format of ['pax', 'gnu'] as const) {
      const tar = scratch(`${format}.tar`);
      execFileSync('tar', ['-cf', tar, `--format=${format}`, '-C', dir, '.']);
      expect(loadLikeOras(tar).referrers(NOTATION_V1).map((r) => r.digest)).toEqual([NOTATION_SIG]);
    }
  });

  it('rejects a truncated tar', () => {
    const tar = tarDir(layoutCopy());
    const bytes = execFileSync('cat', [tar]);
    const cut = scratch('cut.tar');
    writeFileSync(cut, bytes.subarray(0, 512 * 3 + 100));
    expectRule(() => loadLikeOras(cut), 'BAD_TAR');
  });
});
