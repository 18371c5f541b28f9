/**
 * The GPG simple-signing payload is byte-for-byte what containers/image writes for the same values:
 * compared with the payloads inside two of c/image's own signature fixtures (read out with gpg).
 */
import { describe, expect, it } from 'vitest';
import { gpgSimpleSigningPayload } from '../../../src/formats/gpg/gpg-payload.js';
import { gpg, gpgHome } from '../../helpers/gpg.js';

const FIXTURES = new URL('../../fixtures/containers-image/', import.meta.url).pathname;
const DIGEST = 'sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55';

/** The literal data of a signed message, as gpg reads it (no key needed to read). */
function signedContent(file: string): string {
  const home = gpgHome();
  const r = gpg(home, ['--decrypt', `${FIXTURES}${file}`]);
  expect(r.stdout.length).toBeGreaterThan(0);
  return r.stdout;
}

describe('gpgSimpleSigningPayload', () => {
  it.each([
    ['image.signature', 'testing/manifest', 'atomic ', 1458239713],
    ['dir-img-valid.signature-1', 'testing/manifest:latest', 'atomic 0.1.13-dev', 1464398954],
  ] as const)('matches c/image fixture %s byte for byte', (file, identity, creator, timestamp) => {
    const ours = new TextDecoder().decode(gpgSimpleSigningPayload({ identity, digest: DIGEST, creator, timestamp }));
    expect(ours).toBe(signedContent(file));
  });

  it('escapes like Go json.Marshal (<, >, & as \\u escapes)', () => {
    const text = new TextDecoder().decode(gpgSimpleSigningPayload({ identity: 'r/a:1', digest: DIGEST, creator: 'a<b>&c', timestamp: 1 }));
    expect(text).toContain('"creator":"a\\u003cb\\u003e\\u0026c"');
    expect(JSON.parse(text).optional.creator).toBe('a<b>&c');
  });

  it('refuses a fractional timestamp (c/image rejects non-integers)', () => {
    expect(() => gpgSimpleSigningPayload({ identity: 'r/a:1', digest: DIGEST, creator: 'x', timestamp: 1.5 })).toThrow(RangeError);
  });
});
