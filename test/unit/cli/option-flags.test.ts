/**
 * Library errors name options by field (`options.identity`, `details.option`); the CLI alone shows
 * flags. Checked on the sources: every field a library message names has a flag, and library error
 * messages name no flag themselves (the files still to convert are listed, and the list only shrinks).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { OPTION_FLAGS, renderOptionFlags } from '../../../src/cli/option-flags.js';

const SRC = resolve(import.meta.dirname, '../../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const library = sources(SRC).filter((f) => !relative(SRC, f).startsWith('cli/') && !relative(SRC, f).startsWith('release/'));

/** The literal text of every error message made in `file` (the message argument of airsignError / new AirsignError). */
function errorMessageTexts(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const texts: string[] = [];
  const literals = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateLiteralToken(node)) texts.push(node.text);
    ts.forEachChild(node, literals);
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isCallExpression(node) || ts.isNewExpression(node)) && ['airsignError', 'AirsignError'].includes(node.expression.getText(source))) {
      const message = node.arguments?.[1];
      if (message !== undefined) literals(message);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return texts;
}

/** Every string or template text in `file`, module names aside. */
function allTexts(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const texts: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node) || (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword)) return;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateLiteralToken(node)) texts.push(node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return texts;
}

/** A flag of ours (not gpg's own, as in "gpg --export"). */
const FLAG = /(?<![\w-])(?<!gpg )--[a-z][a-z0-9-]*/g;

/** Library files whose error messages may still name CLI flags: none now; a file never joins. */
const NOT_YET_CONVERTED: string[] = [];

describe('option fields in library errors, flags in the CLI', () => {
  it('renders options.<field> as its flag and leaves other text alone', () => {
    expect(renderOptionFlags('options.formats gpg signs the reference: give options.identity registry/repo:tag.'))
      .toBe('--format gpg signs the reference: give --identity registry/repo:tag.');
    expect(renderOptionFlags('options.tsaUrl needs options.tsaOptions.rootCertificates root.pem')).toBe('--tsa needs --tsa-root-cert root.pem');
    expect(renderOptionFlags('options.unknownThing and myoptions.identity stay')).toBe('options.unknownThing and myoptions.identity stay');
  });

  it('every options.<field> a library message names has a flag in OPTION_FLAGS', () => {
    const named = new Set(library.flatMap((f) => allTexts(f).flatMap((t) => [...t.matchAll(/\boptions\.([A-Za-z]+(?:\.[A-Za-z]+)*)/g)].map((m) => m[1]!))));
    expect(named.size).toBeGreaterThan(10);
    expect([...named].filter((field) => !Object.hasOwn(OPTION_FLAGS, field))).toEqual([]);
  });

  it('library error messages name no CLI flag, outside the files listed as not yet converted', () => {
    const offenders = library
      .map((f) => [relative(SRC, f), errorMessageTexts(f).flatMap((t) => t.match(FLAG) ?? [])] as const)
      .filter(([, flags]) => flags.length > 0);
    expect(offenders.filter(([file]) => !NOT_YET_CONVERTED.includes(file))).toEqual([]);
    // The list only names files that still need it.
    expect(NOT_YET_CONVERTED.filter((file) => !offenders.some(([f]) => f === file))).toEqual([]);
  });
});
