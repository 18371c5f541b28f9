/**
 * The in-process layout builder (test/helpers/layout-builder.ts) with a tar step by GNU tar (a peer
 * we did not write), in buildx's entry order.
 */
import { execFileSync } from 'node:child_process';
import { fillRichLayout, LayoutBuilder as InProcessLayoutBuilder, type RichLayout as InProcessRichLayout, type RichLayoutOptions } from '../../helpers/layout-builder.js';

export type { Blob } from '../../helpers/layout-builder.js';

export class LayoutBuilder extends InProcessLayoutBuilder {
  /** Tars the directory with GNU tar, in buildx's entry order. */
  tar(path: string, format: 'ustar' | 'gnu' | 'pax' = 'ustar'): string {
    execFileSync('tar', [`--format=${format}`, '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '--sort=name', '-cf', path, '-C', this.dir, 'blobs', 'index.json', 'oci-layout']);
    return path;
  }
}

export type RichLayout = InProcessRichLayout<LayoutBuilder>;

export function buildRichLayout(dir: string, options: RichLayoutOptions = {}): RichLayout {
  return fillRichLayout(new LayoutBuilder(dir), options);
}
