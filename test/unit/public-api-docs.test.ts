/**
 * Every value the package root exports (functions, classes, constants) carries a doc comment where
 * it is declared, so a library user's editor shows what it does.
 */
import { resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const INDEX = resolve(import.meta.dirname, '../../src/index.ts');

describe('public API documentation', () => {
  it('every exported value of src/index.ts has a doc comment', () => {
    const program = ts.createProgram([INDEX], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, noEmit: true });
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
