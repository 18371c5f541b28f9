/**
 * The directory `strip` moves layer blobs into, and `repack` reads them back from:
 *   <dir>/<alg>/<encoded>      one file per blob, named by digest (e.g. sha256/3f1c…)
 *   <dir>/airsign-strip.json   what was stripped, from which image (the strip record)
 * The record lets `repack` know what to put back and refuse a directory made from another image,
 * while the stripped tarball's index.json stays byte-identical to the original.
 */
import { lstat, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { assertDescriptor, type PlainDescriptor } from '../descriptor.js';
import { airsignError } from '../errors.js';
import { isInsideDirectory, resolveFuturePath } from '../fs/distinct-files.js';
import { readSmallFile } from '../fs/read-small-file.js';
import { parseLayoutJson } from './layout-json.js';
import { isJsonObject } from '../json-object.js';

/** Name of the record stripLayout writes into its directory (what repackLayout reads). */
const STRIP_RECORD_FILE = 'airsign-strip.json';
export const STRIP_RECORD_TYPE = 'airsign.strip.v1';
/** The largest strip record read (about 60,000 layers). */
const MAX_STRIP_RECORD_BYTES = 16 * 1024 * 1024;

export interface StripRecord {
  type: typeof STRIP_RECORD_TYPE;
  /** The --reference given to strip, if any. */
  reference?: string;
  /** The image whose layers were stripped. */
  image: PlainDescriptor;
  /** sha256 digest of the input's index.json at strip time (informational). */
  indexDigest: string;
  /** The stripped blobs. */
  blobs: PlainDescriptor[];
}

export function strippedBlobPath(directory: string, digest: string): string {
  const colon = digest.indexOf(':');
  return join(directory, digest.slice(0, colon), digest.slice(colon + 1));
}

export function stripRecordPath(directory: string): string {
  return join(directory, STRIP_RECORD_FILE);
}

export function encodeStripRecord(record: StripRecord): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(record, null, 2)}\n`);
}

/** Reads and validates `<dir>/airsign-strip.json` (STRIP_DIR_NOT_FOUND / STRIP_DIR_NO_RECORD / STRIP_DIR_BAD_RECORD). */
export async function readStripRecord(directory: string): Promise<StripRecord> {
  try {
    // Followed if it is a symbolic link: strip writes through one (a link to removable media), so
    // repack must read through it too. The record itself must be a regular file (below).
    if (!(await stat(directory)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw airsignError('STRIP_DIR_NOT_FOUND', `${directory} is not a directory`);
  }
  const recordPath = stripRecordPath(directory);
  const present = await lstat(recordPath).then(() => true, () => false);
  if (!present) throw airsignError('STRIP_DIR_NO_RECORD', `${directory} has no ${STRIP_RECORD_FILE} (not made by airsign strip)`);
  // Bounded, and only from a regular file: a record that is a link to /dev/zero is refused, not read.
  const bytes = await readSmallFile(recordPath, { maxBytes: MAX_STRIP_RECORD_BYTES, code: 'STRIP_DIR_BAD_RECORD' });
  const value = parseLayoutJson(bytes, recordPath, MAX_STRIP_RECORD_BYTES);
  const bad = (why: string) => airsignError('STRIP_DIR_BAD_RECORD', `${stripRecordPath(directory)} is invalid: ${why}`);
  if (!isJsonObject(value) || value.type !== STRIP_RECORD_TYPE) throw bad(`type is not ${STRIP_RECORD_TYPE}`);
  if (!Array.isArray(value.blobs)) throw bad('no blobs list');
  try {
    assertDescriptor(value.image, 'image');
    value.blobs.forEach((b, i) => assertDescriptor(b, `blobs[${i}]`));
  } catch (error) {
    throw bad((error as Error).message);
  }
  if (value.reference !== undefined && typeof value.reference !== 'string') throw bad('reference is not a string');
  return value as unknown as StripRecord;
}

/**
 * Refuses a `<dir>/<alg>/` folder that is a symbolic link (STRIP_DIR_LINK_ENTRY): strip writes and
 * repack reads blob files only inside the directory named (the directory itself may be a link).
 */
export async function assertAlgorithmFolder(directory: string, algorithm: string): Promise<void> {
  const path = join(directory, algorithm);
  const info = await lstat(path).catch(() => undefined);
  if (info?.isSymbolicLink()) {
    throw airsignError('STRIP_DIR_LINK_ENTRY', `${path} is a symbolic link; a strip directory must hold its blob folders itself`, { details: { path } });
  }
}

/** Refuses (OUTPUT_IN_STRIP_DIR) an output inside the strip directory `directory`. */
export async function refuseOutputInStripDirectory(output: string | undefined, directory: string, what = 'options.output'): Promise<void> {
  if (output === undefined) return;
  if (await isInsideDirectory(output, directory)) {
    throw airsignError('OUTPUT_IN_STRIP_DIR', `${what} ${output} is inside the strip directory ${directory}; write it elsewhere`, { details: { output, directory } });
  }
}

/**
 * Refuses (OUTPUT_IN_STRIP_DIR) an output that would land in a strip directory made by an earlier
 * strip: its folder (or that folder's parent, for `<dir>/<alg>/<hex>`) holds airsign-strip.json.
 */
export async function refuseOutputInAnyStripDirectory(output: string | undefined, what = 'options.output'): Promise<void> {
  if (output === undefined || output === '') return;
  const folder = dirname(await resolveFuturePath(output));
  for (const candidate of [folder, dirname(folder)]) {
    if ((await lstat(stripRecordPath(candidate)).catch(() => undefined)) !== undefined) {
      throw airsignError('OUTPUT_IN_STRIP_DIR', `${what} ${output} is inside the strip directory ${candidate}; write it elsewhere`, { details: { output, directory: candidate } });
    }
  }
}

/**
 * Refuses (STRIP_DIR_OVERLAPS_LAYOUT) a strip directory that is, contains or lies inside the layout
 * directory being stripped (links resolved); for a layout tar, one whose strip files (the record,
 * `<alg>/` folders) would replace the tar itself.
 */
export async function refuseStripDirectoryOverlap(source: string, directory: string, sourceIsDirectory: boolean): Promise<void> {
  const overlap = () => airsignError('STRIP_DIR_OVERLAPS_LAYOUT', `the strip directory ${directory} overlaps the layout ${source}; use a directory outside it`, { details: { directory, source } });
  if (sourceIsDirectory) {
    if ((await isInsideDirectory(directory, source)) || (await isInsideDirectory(source, directory))) throw overlap();
    return;
  }
  const [tar, dir] = await Promise.all([resolveFuturePath(source), resolveFuturePath(directory)]);
  if (tar === dir || tar === join(dir, STRIP_RECORD_FILE) || dirname(dirname(tar)) === dir) throw overlap();
}
