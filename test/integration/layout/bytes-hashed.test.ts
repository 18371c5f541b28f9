/**
 * Every command that reads blobs hashes each blob byte exactly once: the count of bytes hashed
 * through the one hashing helper (blob-hash.ts) must equal the bytes of the blobs the command reads
 * (strip, repack and sign copy every blob of their input, verify checks every blob present). A
 * second pass over layer data anywhere (a check before a copy, a re-read after it) makes the count
 * larger and this test fail. The sample has both kinds of blob: layers of 1.5 MiB, hashed by worker
 * threads, and small manifests and configs, hashed on the calling thread.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesHashed, OFFLOAD_MIN } from '../../../src/layout/blob-hash.js';
import { openLayout } from '../../../src/layout/open-layout.js';
import { repackLayout } from '../../../src/operations/repack.js';
import { signLayout } from '../../../src/operations/sign.js';
import { stripLayout } from '../../../src/operations/strip.js';
import { verifyLayout } from '../../../src/operations/verify.js';
import { makeTestChain, type TestChain } from '../../helpers/sign-fixtures.js';

const MAKE_SAMPLES = new URL('../../../scripts/make-samples.mjs', import.meta.url).pathname;

let work: string;
let chain: TestChain;
let sample: string;

/** Bytes of every blob the layout at `path` holds, and of its blobs that are large enough for a worker. */
async function blobBytes(path: string): Promise<{ all: number; large: number }> {
  const layout = await openLayout(path);
  try {
    const sizes = layout.blobDigests().map((d) => layout.blobSize(d)!);
    return { all: sizes.reduce((a, b) => a + b, 0), large: sizes.filter((s) => s >= OFFLOAD_MIN).reduce((a, b) => a + b, 0) };
  } finally {
    await layout.close();
  }
}

/** Bytes hashed while `run` runs. */
async function hashedDuring(run: () => Promise<unknown>): Promise<number> {
  const before = bytesHashed();
  await run();
  return bytesHashed() - before;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

const POLICY = {
  version: '1.0',
  trustPolicies: [{ name: 'test', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:test'], trustedIdentities: ['*'] }],
};

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'airsign-bytes-hashed-'));
  sample = join(work, 'sample.tar');
  // Four 1.5 MiB layers over two platforms: the bench sample's shape, small.
  execFileSync(process.execPath, [MAKE_SAMPLES, '--size', '6MiB', '--layers', '4', '--platforms', '2', '--output', sample, '--tag', 'big'], { stdio: 'ignore' });
  chain = makeTestChain('ec-p256', { dir: mkdtempSync(join(work, 'chain-')) });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bytes hashed per command (each blob byte once)', () => {
  const sign = (input: string, output: string) =>
    signLayout(input, { key: chain.keyPath, keyOptions: { certificatePath: chain.chainPath }, formats: ['notation'], output });
  const verify = (input: string, stripped = false) =>
    verifyLayout(input, { trustPolicy: POLICY, trustStore: { 'ca:test': [chain.chain[chain.chain.length - 1]!] }, ...(stripped ? { stripped: true } : {}) });

  it('strip, repack, sign (full and stripped) and verify (full and stripped)', async () => {
    const input = await blobBytes(sample);
    expect(input.large).toBeGreaterThanOrEqual(4 * OFFLOAD_MIN); // four layers: the worker path is exercised

    const layers = join(work, 'layers');
    const stripped = join(work, 'stripped.tar');
    // strip: every layer once into the directory, every other blob once into the stripped tar.
    expect(await hashedDuring(() => stripLayout(sample, { directory: layers, output: stripped }))).toBe(input.all);
    const strippedBytes = await blobBytes(stripped);
    expect(strippedBytes.large).toBe(0);

    // repack: the stripped tar's blobs and the layers put back. Two layers are copied into the tar
    // at once (reserved entries); the tar is still byte for byte the input.
    const repacked = join(work, 'repacked.tar');
    expect(await hashedDuring(() => repackLayout(stripped, { directory: layers, output: repacked }))).toBe(input.all);
    expect(sha256(repacked)).toBe(sha256(sample));

    // sign: every blob of the input copied once; the new signature blobs are written from memory.
    const signedFull = join(work, 'signed-full.tar');
    expect(await hashedDuring(() => sign(sample, signedFull))).toBe(input.all);
    const signedStripped = join(work, 'signed-stripped.tar');
    expect(await hashedDuring(() => sign(stripped, signedStripped))).toBe(strippedBytes.all);

    // verify: every blob present, once.
    const full = await blobBytes(signedFull);
    let report: Awaited<ReturnType<typeof verify>> | undefined;
    expect(await hashedDuring(async () => (report = await verify(signedFull)))).toBe(full.all);
    expect(report!.integrity.bytesChecked).toBe(full.all);
    expect(report!.integrity.failures).toEqual([]);
    const partial = await blobBytes(signedStripped);
    expect(await hashedDuring(async () => (report = await verify(signedStripped, true)))).toBe(partial.all);
    expect(report!.integrity.failures).toEqual([]);
  }, 120_000);
});

describe('two large blobs copied into the tar at once', () => {
  it('a wrong layer file fails repack with STRIP_DIR_WRONG_BLOB and leaves no output or temp file', async () => {
    const dir = mkdtempSync(join(work, 'wrong-'));
    const layers = join(dir, 'layers');
    const stripped = join(dir, 'stripped.tar');
    await stripLayout(sample, { directory: layers, output: stripped });
    // The last layer in name order: the copy beside it (and entries after it) are under way when it fails.
    const files = readdirSync(join(layers, 'sha256')).sort();
    const victim = join(layers, 'sha256', files[files.length - 1]!);
    const bytes = readFileSync(victim);
    bytes[bytes.length >> 1]! ^= 0xff;
    chmodSync(victim, 0o644);
    writeFileSync(victim, bytes);
    const output = join(dir, 'repacked.tar');
    cpSync(stripped, join(dir, 'keep.tar'));
    await expect(repackLayout(stripped, { directory: layers, output })).rejects.toMatchObject({ code: 'STRIP_DIR_WRONG_BLOB' });
    expect(existsSync(output)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['keep.tar', 'layers', 'stripped.tar']); // no temp file left
    expect(sha256(stripped)).toBe(sha256(join(dir, 'keep.tar'))); // the input is untouched
  }, 60_000);
});
