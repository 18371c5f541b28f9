/**
 * Hostile layout graphs through the CLI: a 2,500-deep chain of nested indexes (once a stack
 * overflow, exit 70) is a one-line exit-2 error past MAX_GRAPH_DEPTH, a chain at the limit still
 * inspects, and a manifest whose bytes do not match its digest fails `inspect` with exit 2 instead
 * of being printed as UNREADABLE with exit 0.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_GRAPH_DEPTH } from '../../../src/layout/graph.js';
import { runCli } from '../../helpers/cli.js';
import { LayoutBuilder, type Blob } from './build-fixtures.js';
import { tempDir } from '../../helpers/temp-dir.js';

const INDEX = 'application/vnd.oci.image.index.v1+json';
const work = tempDir('airsign-hostile-graph-');

/** A layout whose index.json entry is the top of `levels` nested indexes over one image. */
function nestedLayout(name: string, levels: number): string {
  const b = new LayoutBuilder(join(work, name));
  let node: Blob = b.manifest(b.config('amd64'), [b.layer(64)]);
  for (let i = 1; i < levels; i++) node = b.json(INDEX, { schemaVersion: 2, mediaType: INDEX, manifests: [node] }, 0);
  b.addEntry({ ...node, annotations: { 'org.opencontainers.image.ref.name': 'deep' } });
  b.writeIndex();
  return b.dir;
}

describe('hostile layout graphs', () => {
  it('a 2,500-deep chain of nested indexes is a clean exit-2 error, tar or directory', () => {
    const dir = nestedLayout('deep', 2500);
    const tar = new LayoutBuilder(dir).tar(join(work, 'deep.tar'));
    for (const input of [dir, tar]) {
      for (const args of [['inspect', input], ['inspect', input, '--json'], ['strip', input, '--directory', join(work, 'strip-out'), '--output', join(work, 'out.tar')]]) {
        const r = runCli(args);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
        expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(new RegExp(`more than ${MAX_GRAPH_DEPTH} levels deep`));
        expect(r.stderr).not.toMatch(/call stack|RangeError/);
      }
    }
    const json = runCli(['inspect', dir, '--json']);
    expect(JSON.parse(json.stdout).error.code).toBe('LAYOUT_GRAPH_TOO_DEEP');
  });

  it(`a chain exactly ${MAX_GRAPH_DEPTH} levels deep still inspects`, () => {
    const dir = nestedLayout('limit', MAX_GRAPH_DEPTH);
    const r = runCli(['inspect', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.match(/^\s*(└─ |├─ )?index /gm)?.length ?? 0).toBeGreaterThan(0);
    const json = JSON.parse(runCli(['inspect', dir, '--json']).stdout);
    let depth = 0;
    for (let n = json.images[0]; n; n = n.children?.[0]) depth++;
    expect(depth).toBe(MAX_GRAPH_DEPTH + 1); // the indexes and the manifest, then its config
    expect(runCli(['inspect', nestedLayout('over', MAX_GRAPH_DEPTH + 1)]).code).toBe(2);
  });

  it('a manifest that does not match its digest fails inspect with exit 2', () => {
    const b = new LayoutBuilder(join(work, 'mismatch'));
    const manifest = b.manifest(b.config('amd64'), [b.layer(64)]);
    b.addEntry({ ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'x' } });
    b.writeIndex();
    const path = join(b.blobsDir, manifest.digest.slice('sha256:'.length));
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, tampered: true }));
    writeFileSync(path, Buffer.concat([bytes, Buffer.alloc(manifest.size - bytes.length, 0x20)]));
    const tar = b.tar(join(work, 'mismatch.tar'));
    for (const input of [b.dir, tar]) {
      const r = runCli(['inspect', input]);
      expect(r.code, r.stdout).toBe(2);
      expect(r.stderr).toMatch(/does not match its digest/);
      expect(r.stdout).not.toMatch(/UNREADABLE/);
      expect(JSON.parse(runCli(['inspect', input, '--json']).stdout).error.code).toBe('LAYOUT_DIGEST_MISMATCH');
    }
  });
});
