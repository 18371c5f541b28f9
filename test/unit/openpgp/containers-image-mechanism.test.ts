/**
 * Differential: containers/image `signature/mechanism_test.go` (TestGPGSigningMechanismVerify) on
 * its own fixtures, v4 signature packets and their `-v3` twins — the verdict (and content and
 * signer, when good) each case reaches upstream must be ours.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAirsignError } from '../../../src/errors.js';
import { parseKeyring } from '../../../src/formats/openpgp/keyring.js';
import { verifyOpenPgpMessage } from '../../../src/formats/openpgp/verify-message.js';

const CI = new URL('../../fixtures/containers-image/', import.meta.url).pathname;
const keyring = parseKeyring(readFileSync(join(CI, 'gpg/pubring.gpg')), 'pubring.gpg');
const read = (name: string) => new Uint8Array(readFileSync(join(CI, name)));
const TEST_KEY = '08CD26E446E2E95249B7A405E932F44B23E8DD43';
const PRIMARY_WITH_SUBKEY = 'B9F4CDB9FD8C475BFA340AC38D54A947EE396F36';
const SUBKEY_CONTENT = '{"critical":{"identity":{"docker-reference":"testing/manifest:latest"},"image":{"docker-manifest-digest":"sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55"},"type":"atomic container signature"},"optional":{}}';
const NOW = new Date('2026-01-01T00:00:00Z');

type Expected = { good: true; content: string; signer: string } | { good: false };
const cases: Array<[string, () => Uint8Array, Expected]> = [];
for (const v of ['', '-v3']) {
  cases.push([`invalid-blob.signature${v}`, () => read(`invalid-blob.signature${v}`), { good: true, content: 'This is not JSON\n', signer: TEST_KEY }]);
  cases.push([`subkey.signature${v}`, () => read(`subkey.signature${v}`), { good: true, content: SUBKEY_CONTENT, signer: PRIMARY_WITH_SUBKEY }]);
  cases.push([`corrupt.signature${v}`, () => read(`corrupt.signature${v}`), { good: false }]);
  cases.push([`unknown-key.signature${v}`, () => read(`unknown-key.signature${v}`), { good: false }]);
  cases.push([`subkey-revoked.signature${v}`, () => read(`subkey-revoked.signature${v}`), { good: false }]);
}
cases.push(['empty', () => new Uint8Array(0), { good: false }]);
cases.push(['"invalid signature"', () => new TextEncoder().encode('invalid signature'), { good: false }]);
cases.push(['unsigned-literal.signature', () => read('unsigned-literal.signature'), { good: false }]);
cases.push(['unsigned-encrypted.signature', () => read('unsigned-encrypted.signature'), { good: false }]);
cases.push(['expired.signature', () => read('expired.signature'), { good: false }]);

describe('containers/image mechanism_test.go verdicts (v4 and v3 signature packets)', () => {
  it.each(cases)('%s', (_name, bytes, expected) => {
    let outcome: Expected;
    try {
      const m = verifyOpenPgpMessage(bytes(), keyring, { now: NOW });
      outcome = { good: true, content: new TextDecoder().decode(m.content), signer: m.primaryFingerprint };
    } catch (e) {
      if (!isAirsignError(e) || e.kind !== 'verification') throw e;
      outcome = { good: false };
    }
    expect(outcome).toEqual(expected);
  });

  it('agrees on every case', () => {
    expect(cases.length).toBe(15);
    console.log(`containers/image mechanism_test.go differential: ${cases.length} cases (10 v4/v3 pairs + 5 single), all must agree`);
  });
});
