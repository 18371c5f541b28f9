/**
 * `repack`: puts stripped layer blobs back from a strip directory, verifying each digest and size,
 * and keeps everything the stripped layout gained meanwhile (new blobs, new index.json entries).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { plainDescriptor, type PlainDescriptor } from '../descriptor.js';
import { refuseOutputInsideDirectoryInput } from '../fs/distinct-files.js';
import { reachableNodes, walkLayout } from '../layout/graph.js';
import { airsignError } from '../errors.js';
import { withWriteLock, type RunControlOptions, type WriteGuard } from '../fs/write-lock.js';
import { withLayout, type Layout, type OpenLayoutOptions } from '../layout/open-layout.js';
import { resolveImage } from '../layout/resolve.js';
import { readStripRecord, refuseOutputInAnyStripDirectory, refuseOutputInStripDirectory, refuseStripDirectoryOverlap, stripRecordPath, type StripRecord } from '../layout/strip-directory.js';
import { writeLayout, writeOptionsOf, type WriteLayoutOptions } from '../layout/write-layout.js';

/** Options of repackLayout: the strip directory, which image, how to write the result, interrupts and concurrent runs. */
export interface RepackOptions extends WriteLayoutOptions, OpenLayoutOptions, RunControlOptions {
  /** The directory stripLayout filled (holds airsign-strip.json). */
  directory: string;
  /** Checks that this image (tag, name or digest) is the one the directory holds layers of. */
  reference?: string;
}

export interface RepackResult {
  input: string;
  output: string;
  directory: string;
  image: PlainDescriptor;
  reference: string | null;
  /** Blobs put back. */
  inserted: string[];
  /** Blobs of the record the layout already had. */
  alreadyPresent: string[];
  outputBytes: number;
}

/**
 * Refuses a strip directory overlapping a layout directory, and an --output inside the strip
 * directory (it would become a blob file there, or be read as one) or inside a layout directory it reads.
 */
async function checkOutput(source: string, output: string | undefined, directory: string): Promise<void> {
  if (source !== '-' && (await stat(source).catch(() => undefined))?.isDirectory() === true) await refuseStripDirectoryOverlap(source, directory, true);
  await refuseOutputInStripDirectory(output, directory);
  await refuseOutputInAnyStripDirectory(output);
  await refuseOutputInsideDirectoryInput(output, source);
}

/**
 * The blobs of the record the image references (digest → the image's own descriptor): a record
 * naming anything else (a hand-edited record planting a blob) or a size the image does not say is
 * refused, so repack puts back exactly what strip took out of this image.
 */
async function referencedRecordBlobs(layout: Layout, record: StripRecord, directory: string): Promise<PlainDescriptor[]> {
  const graph = await walkLayout(layout);
  const referenced = new Map<string, PlainDescriptor>();
  for (const node of reachableNodes(graph, record.image.digest)) referenced.set(node.descriptor.digest, plainDescriptor(node.descriptor));
  return record.blobs.map((blob) => {
    const known = referenced.get(blob.digest);
    if (known === undefined || known.size !== blob.size) {
      throw airsignError('STRIP_DIR_BAD_RECORD', `${stripRecordPath(directory)} names blob ${blob.digest}, which image ${record.image.digest} does not reference${known === undefined ? '' : ' with that size'}; it is not put back`, {
        details: { digest: blob.digest },
      });
    }
    return known;
  });
}

/**
 * Repacks an open layout. Callers that replace the input in place should hold its lock
 * (repackLayout does) and pass the guard, so a concurrent change is refused rather than lost.
 */
async function repackOpenLayout(layout: Layout, options: RepackOptions, guard?: WriteGuard): Promise<RepackResult> {
  await checkOutput(layout.source.path, options.output, options.directory);
  const record = await readStripRecord(options.directory);
  const reference = options.reference ?? record.reference;
  if (options.reference !== undefined) {
    const image = await resolveImage(layout, options.reference);
    if (image.plain.digest !== record.image.digest) {
      throw airsignError('STRIP_DIR_WRONG_IMAGE', `${options.directory} holds layers of ${record.image.digest}, but options.reference ${options.reference} is ${image.plain.digest}`);
    }
  } else if (!layout.hasBlob(record.image.digest)) {
    throw airsignError('STRIP_DIR_WRONG_IMAGE', `${options.directory} holds layers of ${record.image.digest}, which is not in ${layout.source.path}`);
  }
  const expected = new Map<string, PlainDescriptor>();
  const alreadyPresent: string[] = [];
  for (const blob of await referencedRecordBlobs(layout, record, options.directory)) {
    if (layout.hasBlob(blob.digest)) alreadyPresent.push(blob.digest);
    else expected.set(blob.digest, blob);
  }
  const written = await writeLayout(
    layout,
    { insertBlobsFrom: { directory: options.directory, expected } },
    {
      ...writeOptionsOf(options),
      ...(guard ? { beforeReplace: () => guard.checkUnchanged() } : {}),
    },
  );
  return {
    input: layout.source.path,
    output: written.output,
    directory: options.directory,
    image: record.image,
    reference: reference ?? null,
    inserted: written.inserted,
    alreadyPresent,
    outputBytes: written.bytes,
  };
}

/**
 * Puts the layer blobs stripLayout moved to `options.directory` back into the stripped layout
 * `source`, verifying each digest and size, and keeps whatever the layout gained meanwhile
 * (signatures, index entries). Default: replaces `source` atomically.
 */
export async function repackLayout(source: string, options: RepackOptions): Promise<RepackResult> {
  await checkOutput(source, options.output, options.directory);
  return withWriteLock({ source, output: options.output, alsoLock: [resolve(options.directory)], lockWaitMs: options.lockWaitMs, onLockWait: options.onLockWait, signal: options.signal, platformFs: options.platformFs }, (guard) =>
    withLayout(source, options, (layout) => repackOpenLayout(layout, options, guard)),
  );
}
