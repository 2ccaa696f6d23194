/**
 * The public surface of eddy, `src/index.ts`, as a snapshot: every exported name with its kind (class, function,
 * const, interface, type). A change to it fails this test until the snapshot is updated on purpose
 * (`npx vitest run -u test/api/publicSurface.test.ts`), so that nothing enters or leaves the API by accident.
 * Internals (option resolvers, checks, scratch helpers, adapters) must not appear.
 */
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as eddy from '../../src/index.ts';
import { repoRoot } from '../sources/dataPath.ts';

/** `kind name` for every export of a module, sorted, from the type checker (so types are listed too). */
function surface(file: string): string[] {
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
    allowImportingTsExtensions: true,
    noEmit: true,
    strict: true,
    skipLibCheck: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(file);
  if (!sf) throw new Error(`cannot read ${file}`);
  const module = checker.getSymbolAtLocation(sf);
  if (!module) throw new Error(`${file} is not a module`);
  return checker
    .getExportsOfModule(module)
    .map((s) => {
      const t = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      const f = t.flags;
      const kind =
        f & ts.SymbolFlags.Class
          ? 'class'
          : f & ts.SymbolFlags.Function
            ? 'function'
            : f & ts.SymbolFlags.Variable
              ? 'const'
              : f & ts.SymbolFlags.Interface
                ? 'interface'
                : f & ts.SymbolFlags.TypeAlias
                  ? 'type'
                  : 'other';
      return `${kind} ${s.name}`;
    })
    .sort((a, b) => a.split(' ')[1].localeCompare(b.split(' ')[1]));
}

describe('public surface', () => {
  const names = surface(join(repoRoot, 'src/index.ts'));

  it('matches the committed snapshot', async () => {
    await expect(`${names.join('\n')}\n`).toMatchFileSnapshot('./publicSurface.snapshot.txt');
  });

  it('every value it lists is exported at run time, and no internal helper is', () => {
    const values = names.filter((n) => /^(class|function|const) /.test(n)).map((n) => n.split(' ')[1]);
    expect(Object.keys(eddy).sort()).toEqual([...values].sort());
    const internal = Object.keys(eddy).filter((n) =>
      /^(resolve[A-Z]|check(Model|Aborted|Clips|FrameSize|Signal)$|as(Iterable|Observable)$|invalidArg|shapeError|sizeText|resizeGray|sigmoid|relu|.*Scratch)/.test(
        n,
      ),
    );
    expect(internal).toEqual([]);
  });

  it('every RxJS form has its IxJS pair named ...Async, and the other way round', () => {
    const exported = new Set(Object.keys(eddy));
    const pairs = [...exported].filter((n) => n.endsWith('Async') && exported.has(n.slice(0, -5)));
    expect(pairs.length).toBeGreaterThanOrEqual(15);
    expect(exported.has('generateText$')).toBe(false);
    expect([...exported].filter((n) => n.endsWith('$'))).toEqual([]);
  });
});
