import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AirsignError, ERROR_CODES, airsignError, type ErrorCode } from '../../src/errors.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';

describe('the error table', () => {
  it('docs/errors.md lists exactly the codes of ERROR_CODES, with their kinds and exit codes', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `([A-Z0-9_]+)` \| (\w+) \| (\d+) \|$/gm)].map((m) => [m[1], m[2], Number(m[3])]);
    const table = Object.entries(ERROR_CODES).map(([code, kind]) => [code, kind, exitCodeFor(kind)]);
    expect(documented).toEqual(table);
  });

  it('derives the kind from the code', () => {
    expect(airsignError('TAR_TRUNCATED', 'x').kind).toBe('input');
    expect(airsignError('PKCS11_PIN_INCORRECT', 'x').kind).toBe('key');
    expect(airsignError('NOTATION_SIGNATURE_INVALID', 'x').kind).toBe('verification');
    const error = new AirsignError('LAYOUT_DIGEST_MISMATCH', 'm', { details: { digest: 'sha256:00' }, cause: new Error('c') });
    expect(error).toMatchObject({ code: 'LAYOUT_DIGEST_MISMATCH', kind: 'input', details: { digest: 'sha256:00' } });
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('every code thrown in src is in the table (a code outside it does not compile)', () => {
    // @ts-expect-error: an unknown code is a type error
    const bogus: ErrorCode = 'NOT_A_CODE';
    expect(Object.hasOwn(ERROR_CODES, bogus)).toBe(false);
  });
});

describe('error messages are one line', () => {
  it('escapes line breaks and other control characters from quoted input', () => {
    const error = airsignError('NOTATION_BAD_CRITICAL', 'critical header "a\nb\r\tc\u001b" is not in the protected header');
    expect(error.message).toBe('critical header "a\\nb\\r\\tc\\u001b" is not in the protected header');
    expect(error.message).not.toMatch(/[\n\r]/);
  });
});
