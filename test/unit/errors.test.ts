import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { AirsignError, ERROR_CODES, airsignError, isAirsignError, type ErrorCode } from '../../src/errors.js';
import { verifyBytes } from '../../src/digest.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';

const SRC = resolve(import.meta.dirname, '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Rows of docs/errors.md's code table: code, kind, exit code, meaning. */
function documentedCodes(): Array<[string, string, number, string]> {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  return [...doc.matchAll(/^\| `([A-Z0-9_]+)` \| (\w+) \| (\d+) \| (.*) \|$/gm)].map((m) => [m[1]!, m[2]!, Number(m[3]), m[4]!.trim()]);
}

const READS = new Set(['has', 'includes', 'indexOf', 'get', 'delete']);

/**
 * Where a code is made into an error: a code literal passed as an argument (airsignError('X', …),
 * fail('X', …), readSmallFile(p, 'X')), given as a `code`/`…Code` property ({ code: 'X' }), or one
 * branch of a conditional in those places. A code only compared (`e.code === 'X'`, `case 'X'`),
 * listed in a set to catch, or named in details is not a use. Syntax only: fast, and no type checking.
 */
function codesUsedIn(file: string, text: string, codes: ReadonlySet<string>): Map<string, string[]> {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const used = new Map<string, string[]>();
  const isUse = (node: ts.Node): boolean => {
    let child = node;
    let parent = node.parent;
    while (ts.isParenthesizedExpression(parent) || (ts.isConditionalExpression(parent) && parent.condition !== child)) {
      child = parent;
      parent = parent.parent;
    }
    if ((ts.isCallExpression(parent) || ts.isNewExpression(parent)) && parent.arguments?.includes(child as ts.Expression)) {
      const callee = parent.expression;
      return !(ts.isPropertyAccessExpression(callee) && READS.has(callee.name.text));
    }
    if (ts.isPropertyAssignment(parent) && parent.initializer === child) {
      const name = parent.name.getText(source);
      return name === 'code' || name.endsWith('Code');
    }
    return false;
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && codes.has(node.text) && isUse(node)) {
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      used.set(node.text, [...(used.get(node.text) ?? []), `${file}:${line}`]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return used;
}

describe('the error table', () => {
  it('docs/errors.md lists exactly the codes of ERROR_CODES, with their kinds, exit codes and a meaning each', () => {
    const documented = documentedCodes();
    expect(documented.map(([code, kind, exit]) => [code, kind, exit])).toEqual(
      Object.entries(ERROR_CODES).map(([code, kind]) => [code, kind, exitCodeFor(kind)]),
    );
    const withoutMeaning = documented.filter(([, , , meaning]) => meaning.length < 10).map(([code]) => code);
    expect(withoutMeaning).toEqual([]);
  });

  it('every code in the table is made into an error somewhere in src/ (no code nothing throws)', () => {
    const codes = new Set<string>(Object.keys(ERROR_CODES));
    const used = new Set<string>();
    for (const file of sources(SRC)) {
      if (file === join(SRC, 'errors.ts')) continue;
      for (const code of codesUsedIn(relative(SRC, file), readFileSync(file, 'utf8'), codes).keys()) used.add(code);
    }
    expect([...codes].filter((code) => !used.has(code))).toEqual([]);
  });

  it('the scan counts throw and construct sites, not comparisons, sets of codes to catch or details', () => {
    const codes = new Set(['A_CODE', 'B_CODE', 'C_CODE', 'D_CODE', 'E_CODE', 'F_CODE', 'G_CODE']);
    const text = `
      throw airsignError('A_CODE', 'm');
      readSmallFile(path, { code: 'B_CODE', missingCode: ok ? 'C_CODE' : ('D_CODE') });
      if (e.code === 'E_CODE') {}
      const catchable = new Set(['F_CODE']);
      if (catchable.has('F_CODE')) {}
      switch (e.code) { case 'G_CODE': break; }
      throw airsignError('INTERNAL', 'm', { details: { rule: 'G_CODE' } });`;
    expect([...codesUsedIn('x.ts', text, codes).keys()].sort()).toEqual(['A_CODE', 'B_CODE', 'C_CODE', 'D_CODE']);
  });

  it('derives the kind from the code', () => {
    expect(airsignError('TAR_TRUNCATED', 'x').kind).toBe('input');
    expect(airsignError('PKCS11_PIN_INCORRECT', 'x').kind).toBe('key');
    expect(airsignError('NOTATION_SIGNATURE_INVALID', 'x').kind).toBe('verification');
    expect(airsignError('TSA_UNREACHABLE', 'x').kind).toBe('unavailable');
    expect(exitCodeFor('unavailable')).toBe(69);
    const error = new AirsignError('LAYOUT_DIGEST_MISMATCH', 'm', { details: { digest: 'sha256:00', expected: 'sha256:00', actual: 'sha256:11' }, cause: new Error('c') });
    expect(error).toMatchObject({ code: 'LAYOUT_DIGEST_MISMATCH', kind: 'input', details: { digest: 'sha256:00' } });
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('a code outside the table does not compile', () => {
    // @ts-expect-error: an unknown code is a type error
    const bogus: ErrorCode = 'NOT_A_CODE';
    expect(Object.hasOwn(ERROR_CODES, bogus)).toBe(false);
  });
});

describe('details are typed per code', () => {
  it('the compiler checks the details made with a code, and code comparison narrows them', () => {
    // @ts-expect-error: a blob error without its digest does not compile
    const bare = new AirsignError('LAYOUT_MISSING_BLOB', 'm');
    // @ts-expect-error: a field the code does not carry does not compile
    const wrong = airsignError('OUTPUT_EXISTS', 'm', { details: { path: 'p', colour: 'red' } });
    expect([bare.code, wrong.code]).toEqual(['LAYOUT_MISSING_BLOB', 'OUTPUT_EXISTS']);
    const caught: unknown = airsignError('LAYOUT_SIZE_MISMATCH', 'm', { details: { digest: 'sha256:aa', expected: 2, actual: 3 } });
    if (isAirsignError(caught) && caught.code === 'LAYOUT_SIZE_MISMATCH') {
      const expected: number = caught.details.expected;
      expect([caught.details.digest, expected]).toEqual(['sha256:aa', 2]);
    } else {
      expect.unreachable();
    }
  });

  it('a blob that fails its check names its digest in details, whatever the message says', () => {
    const desc = { digest: `sha256:${'0'.repeat(64)}`, size: 3 };
    for (const [bytes, code] of [[new Uint8Array(2), 'LAYOUT_SIZE_MISMATCH'], [new Uint8Array(3), 'LAYOUT_DIGEST_MISMATCH']] as const) {
      let error: unknown;
      try {
        verifyBytes(bytes, desc, 'the config');
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code, details: { digest: desc.digest } });
      expect((error as Error).message).not.toContain(desc.digest);
    }
  });
});

describe('decisions never read an error message', () => {
  /** Source text without comments. */
  const code = (file: string) => readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const READS_MESSAGE = [
    /\.(?:exec|test)\(\s*(?:\w+\.)*message\s*\)/,
    /\bmessage\??\.(?:match|matchAll|includes|startsWith|endsWith|search|indexOf)\(/,
    /\.message\s*[!=]==?/,
  ];

  it('no module in src/ matches, searches or compares an error message (codes and details decide)', () => {
    const offenders = sources(SRC).filter((f) => READS_MESSAGE.some((re) => re.test(code(f)))).map((f) => relative(SRC, f));
    expect(offenders).toEqual([]);
  });

  it('the check sees the readings it forbids', () => {
    const seen = (text: string) => READS_MESSAGE.some((re) => re.test(text));
    expect(seen('const d = /sha256:[a-f0-9]+/.exec(error.message)?.[0];')).toBe(true);
    expect(seen('return /CKR_/.exec(message)?.[1];')).toBe(true);
    expect(seen("if (e.message.includes('digest')) {}")).toBe(true);
    expect(seen("if (error.message === 'x') {}")).toBe(true);
    expect(seen('throw airsignError(code, `${error.message}; more`);')).toBe(false);
  });
});

describe('error messages are one line', () => {
  it('escapes line breaks and other control characters from quoted input', () => {
    const error = airsignError('NOTATION_BAD_CRITICAL', 'critical header "a\nb\r\tc\u001b" is not in the protected header');
    expect(error.message).toBe('critical header "a\\nb\\r\\tc\\u001b" is not in the protected header');
    expect(error.message).not.toMatch(/[\n\r]/);
  });
});
