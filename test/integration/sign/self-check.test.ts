/**
 * Every format verifies each signature right after the key made it, before anything is written: a
 * key that signs with another private key than its public key says is refused (exit-3 kind `key`)
 * and the layout is left as it was.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultFormatRegistry } from '../../../src/formats/default-formats.js';
import type { KeyBackend } from '../../../src/key-backend.js';
import { signLayout } from '../../../src/operations/sign.js';
import { listDir } from '../../helpers/sign-checks.js';
import { cryptoKeyBackend, makeTestChain, type TestChain } from '../../helpers/sign-fixtures.js';
import { rejectionOf } from '../../helpers/signature-peers.js';
import { sha256File } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLES = new URL('../../../samples/', import.meta.url).pathname;
const work = tempDir('airsign-self-check-');
let good: TestChain;
let other: TestChain;

beforeAll(() => {
  good = makeTestChain('ec-p256');
  other = makeTestChain('ec-p256');
});

/** Says it is `good`'s key (public key, chain) but signs with `other`'s private key. */
function lyingKey(): KeyBackend {
  const honest = cryptoKeyBackend(good.keyPath, good.chain);
  const liar = cryptoKeyBackend(other.keyPath, good.chain);
  return { ...honest, sign: liar.sign.bind(liar) };
}

describe('signatures are verified before anything is written', () => {
  for (const format of ['notation', 'notation-cose', 'cosign', 'cosign-bundle']) {
    it(`${format}: a signature that does not verify with the key's public key is refused`, async () => {
      const dir = mkdtempSync(join(work, `${format}-`));
      const tar = join(dir, 'single.tar');
      copyFileSync(join(SAMPLES, 'single.tar'), tar);
      const before = sha256File(tar);
      const error = await rejectionOf(signLayout(tar, { key: lyingKey(), formats: [format], registry: defaultFormatRegistry(), identity: 'reg.example/app:1' }));
      expect(error).toMatchObject({ code: 'SIGNATURE_SELF_CHECK_FAILED' });
      if (!format.startsWith('notation')) expect(error).toMatchObject({ kind: 'key', message: expect.stringContaining(format) });
      expect(sha256File(tar)).toBe(before);
      expect(listDir(dir)).toEqual(['single.tar']);
      // the honest key signs the same input fine
      const ok = await signLayout(tar, { key: cryptoKeyBackend(good.keyPath, good.chain), formats: [format], registry: defaultFormatRegistry(), identity: 'reg.example/app:1' });
      expect(ok.record.signatures).toHaveLength(1);
    });
  }
});
