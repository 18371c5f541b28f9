/**
 * A signing run validates the certificate chain once, however many images and formats it signs:
 * the certificate signature checks (X509Certificate#verify, one per link) are counted for a run
 * of one signature and for a run of six (three images × JWS and COSE) and must be the same.
 * Each envelope is still verified on its own (the self-check), which this count does not include.
 */
import { X509Certificate } from 'node:crypto';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultFormatRegistry } from '../../../src/formats/default-formats.js';
import { signLayout } from '../../../src/operations/sign.js';
import { makeTestChain, type TestChain } from '../../helpers/sign-fixtures.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLES = new URL('../../../samples/', import.meta.url).pathname;
const work = tempDir('airsign-once-');
let chain: TestChain;

beforeAll(() => {
  chain = makeTestChain('ec-p256');
});

async function countChecks(formats: string[], recursive: boolean): Promise<{ checks: number; signatures: number }> {
  const source = join(work, `multi-${formats.length}-${String(recursive)}.tar`);
  copyFileSync(join(SAMPLES, 'multi.tar'), source);
  const spy = vi.spyOn(X509Certificate.prototype, 'verify');
  try {
    const result = await signLayout(source, {
      key: chain.keyPath,
      keyOptions: { certificatePath: chain.chainPath },
      formats,
      registry: defaultFormatRegistry(),
      recursive,
    });
    return { checks: spy.mock.calls.length, signatures: result.added };
  } finally {
    spy.mockRestore();
  }
}

describe('chain validation once per run', () => {
  it('costs the same certificate checks for 1 signature as for 6', async () => {
    const one = await countChecks(['notation'], false);
    const six = await countChecks(['notation', 'notation-cose'], true);
    expect(one.signatures).toBe(1);
    expect(six.signatures).toBe(6);
    expect(one.checks).toBeGreaterThan(0);
    expect(six.checks).toBe(one.checks);
  });
});
