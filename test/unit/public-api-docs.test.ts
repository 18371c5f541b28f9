/**
 * Every value the package root exports (functions, classes, constants) carries a doc comment where
 * it is declared, so a library user's editor shows what it does; and the README's Library examples
 * type-check against the package root's types.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { testTempDir } from '../helpers/temp-dir.js';

const INDEX = resolve(import.meta.dirname, '../../src/index.ts');

describe('public API documentation', () => {
  it('every exported value of src/index.ts has a doc comment; the README examples type-check', () => {
    const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Library\n'), readme.indexOf('\n## ', readme.indexOf('\n## Library\n') + 1));
    const examples = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(examples.length).toBeGreaterThanOrEqual(3);
    const dir = testTempDir('airsign-readme-types-');
    const exampleFiles = examples.map((example, n) => {
      const file = join(dir, `example-${n}.mts`);
      writeFileSync(file, example.replaceAll("from 'airsign'", `from '${INDEX.replace(/\.ts$/, '.js')}'`));
      return file;
    });
    const program = ts.createProgram([INDEX, ...exampleFiles], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2023.d.ts'],
      types: ['node'],
      typeRoots: [resolve(import.meta.dirname, '../../node_modules/@types')],
      strict: true,
      exactOptionalPropertyTypes: true,
      skipLibCheck: true,
      noEmit: true,
    });
    const diagnostics = exampleFiles.flatMap((file) => ts.getPreEmitDiagnostics(program, program.getSourceFile(file)));
    expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
    const checker = program.getTypeChecker();
    const index = checker.getSymbolAtLocation(program.getSourceFile(INDEX)!)!;
    const exports = checker.getExportsOfModule(index);
    const undocumented: string[] = [];
    let values = 0;
    for (const exported of exports) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (!(symbol.flags & ts.SymbolFlags.Value)) continue;
      values++;
      const documented = symbol.getDocumentationComment(checker).length > 0 || (symbol.declarations ?? []).some((d) => ts.getJSDocCommentsAndTags(d).length > 0);
      if (!documented) undocumented.push(exported.name);
    }
    expect(values).toBeGreaterThan(20);
    expect(undocumented.sort()).toEqual([]);
  });
});
