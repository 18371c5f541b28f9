/**
 * strip → sign → repack gives the same layout as one-shot signing (same index.json, same blobs),
 * and signing a stripped tar touches only metadata. The library API's fixed signing time and a
 * deterministic (memoising) test key make the two runs byte-comparable.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultFormatRegistry } from '../../../src/formats/default-formats.js';
import type { KeyBackend, SignatureScheme } from '../../../src/key-backend.js';
import { repackLayout } from '../../../src/operations/repack.js';
import { signLayout } from '../../../src/operations/sign.js';
import { stripLayout } from '../../../src/operations/strip.js';
import { loadLikeOras } from '../../helpers/oras-rules.js';
import { cryptoKeyBackend, makeTestChain } from '../../helpers/sign-fixtures.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLES = new URL('../../../samples/', import.meta.url).pathname;
const registry = defaultFormatRegistry();
const work = tempDir('airsign-sign-rt-');

/** Same message → same signature, so two runs at the same signing time produce identical envelopes. */
function memoising(inner: KeyBackend): KeyBackend & { signatures: number } {
  const cache = new Map<string, Uint8Array>();
  const backend = {
    description: inner.description,
    keyType: inner.keyType,
    signatures: 0,
    publicKeySpki: () => inner.publicKeySpki(),
    certificateChain: () => inner.certificateChain(),
    async sign(message: Uint8Array, scheme: SignatureScheme) {
      const key = `${JSON.stringify(scheme)}:${Buffer.from(message).toString('hex')}`;
      let signature = cache.get(key);
      if (signature === undefined) {
        backend.signatures += 1;
        signature = await inner.sign(message, scheme);
        cache.set(key, signature);
      }
      return signature;
    },
    signDigest: inner.signDigest.bind(inner),
    close: () => inner.close(),
  };
  return backend;
}

function tarBlobs(tar: string): string[] {
  return execFileSync('tar', ['-tf', tar], { encoding: 'utf8' }).trim().split('\n').filter((n) => /^blobs\/sha256\/[0-9a-f]{64}$/.test(n)).sort();
}

describe.each(['single.tar', 'multi.tar'])('%s: strip → sign → repack equals one-shot sign', (sample) => {
  it('same index.json bytes and the same blobs; the stripped sign touched only metadata', async () => {
    const chain = makeTestChain('ec-p384');
    const key = memoising(cryptoKeyBackend(chain.keyPath, chain.chain));
    const signingTime = new Date(Date.now() + 60_000);
    const common = { key, registry, formats: ['notation', 'notation-cose'], signingTime, recursive: true, reference: '1.4' } as const;

    const oneShot = join(work, `one-${sample}`);
    copyFileSync(join(SAMPLES, sample), oneShot);
    const a = await signLayout(oneShot, common);

    const viaStrip = join(work, `strip-${sample}`);
    const layers = join(work, `layers-${sample}`);
    copyFileSync(join(SAMPLES, sample), viaStrip);
    await stripLayout(viaStrip, { directory: layers, reference: '1.4' });
    const strippedBlobs = tarBlobs(viaStrip);
    const b = await signLayout(viaStrip, common);
    // The stripped tar only gained the new metadata blobs; layers stayed out.
    const signedStripped = tarBlobs(viaStrip);
    for (const name of strippedBlobs) expect(signedStripped).toContain(name);
    const layerNames = readdirSync(join(layers, 'sha256')).map((hex) => `blobs/sha256/${hex}`);
    expect(layerNames.length).toBeGreaterThan(0);
    for (const name of layerNames) expect(signedStripped).not.toContain(name);
    expect(signedStripped.length).toBeGreaterThan(strippedBlobs.length);
    await repackLayout(viaStrip, { directory: layers });

    expect(b.record).toEqual(a.record);
    expect(execFileSync('tar', ['-xOf', viaStrip, 'index.json'])).toEqual(execFileSync('tar', ['-xOf', oneShot, 'index.json']));
    expect(tarBlobs(viaStrip)).toEqual(tarBlobs(oneShot));
    // Both load with oras-go's rules and show the same referrers.
    const image = loadLikeOras(oneShot).resolve('1.4');
    const plain = { mediaType: image.mediaType, digest: image.digest, size: image.size };
    expect(loadLikeOras(viaStrip).referrers(plain)).toEqual(loadLikeOras(oneShot).referrers(plain));
    // One signature per (target, format): the second run reused the first run's signatures.
    expect(key.signatures).toBe(a.record.signatures.length);
    expect(readdirSync(work).filter((n) => n.includes('.tmp'))).toEqual([]);
  });
});
