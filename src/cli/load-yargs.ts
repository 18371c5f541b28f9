/**
 * yargs, built so that a command run does not pay for help rendering it never shows.
 *
 * `import yargs from 'yargs'` loads yargs' Node platform shim, which eagerly imports cliui,
 * wrap-ansi and string-width (three copies in our lockfile; each builds an Intl.Segmenter and
 * emoji / Unicode-property regexes at module top level), escalade and get-caller-file: about
 * 80-100 ms of the CLI's start-up, while only help output uses them. (yargs also renders a
 * command's whole help text each time the command runs; skipHelpCache below stops that.) Here the same yargs (its own `YargsFactory`, the same
 * yargs-parser and y18n with yargs' locale files) gets a platform whose help-only parts load on
 * first use, synchronously with `require` (Node >= 20.19 can `require` these ES modules).
 * Output, messages and locale handling stay exactly those of stock yargs.
 *
 * yargs does not export its factory, so it is found next to yargs' entry point: a private path,
 * which is why package.json pins yargs to one exact version (an update is a deliberate edit, checked
 * by the tests). If finding it ever fails, this falls back to the stock `import('yargs')`: slower,
 * same behaviour. test/unit/cli/load-yargs.test.ts checks the pin, compares the two (help in
 * several locales, parsing, errors) and fails if the factory can no longer be found.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import type { Argv } from 'yargs';

type NodeAssert = typeof import('node:assert');

/** yargs' default export: `yargs(argv)` makes a parser. */
export type YargsFactory = (processArgs?: readonly string[] | string, cwd?: string) => Argv;

/** The stock yargs entry point (eager platform shim). */
export async function loadStockYargs(): Promise<YargsFactory> {
  return (await import('yargs')).default;
}

/**
 * What yargs' platform shim is made of, found either on disk (loadLazyYargs) or, in the
 * single-file release, bundled (src/release/bundled-yargs.ts).
 */
export interface YargsParts {
  YargsFactory: ShimFactory;
  getProcessArgvBin: () => string;
  /** yargs-parser's default export. */
  Parser: unknown;
  /** y18n made with yargs' locales. */
  y18n: unknown;
  /** Loads one of yargs' help-only dependencies on first use (CommonJS or ES module loaded with require()). */
  requireHelpPart: (name: 'cliui' | 'escalade/sync' | 'string-width' | 'get-caller-file') => unknown;
  /** yargs' `require` (config files with `extends`). */
  require: (id: string) => unknown;
  /** yargs' shim takes the part of its own path before "node_modules" as the main file name. */
  mainFilename: string;
  /**
   * Replaces yargs' search for a package.json above mainFilename (made only to guess a version,
   * which airsign replaces with its own `version` option right away).
   */
  findUp?: (...args: unknown[]) => unknown;
}

let bundledParts: YargsParts | undefined;

/** The single-file release hands its bundled yargs parts here (before main runs). */
export function useBundledYargs(parts: YargsParts): void {
  bundledParts = parts;
}

/** yargs with help-only dependencies loaded lazily; falls back to the stock entry point. */
export async function loadYargs(): Promise<YargsFactory> {
  if (bundledParts !== undefined) return yargsFromParts(bundledParts);
  try {
    return await loadLazyYargs();
  } catch {
    return loadStockYargs();
  }
}

type ShimFactory = (shim: object) => YargsFactory;

/** Builds yargs from its own factory with a platform equal to yargs' ESM shim, help parts lazy. */
export async function loadLazyYargs(): Promise<YargsFactory> {
  const entry = createRequire(import.meta.url).resolve('yargs'); // .../yargs/index.mjs
  const root = dirname(entry);
  // Resolves yargs' own dependencies from where yargs' ESM platform shim does.
  const fromYargs = createRequire(join(root, 'lib', 'platform-shims', 'esm.mjs'));
  const fileUrl = (path: string): string => pathToFileURL(path).href;
  const [factoryModule, argvModule, parserModule] = await Promise.all([
    import(fileUrl(join(root, 'build', 'lib', 'yargs-factory.js'))) as Promise<{ YargsFactory: ShimFactory }>,
    import(fileUrl(join(root, 'build', 'lib', 'utils', 'process-argv.js'))) as Promise<{ getProcessArgvBin: () => string }>,
    import(fileUrl(fromYargs.resolve('yargs-parser'))) as Promise<{ default: unknown }>,
  ]);
  if (typeof factoryModule.YargsFactory !== 'function' || typeof argvModule.getProcessArgvBin !== 'function') {
    throw new Error('unexpected yargs layout');
  }
  const y18n = fromYargs('y18n') as (options: { directory: string; updateFiles: boolean }) => unknown;
  return yargsFromParts({
    YargsFactory: factoryModule.YargsFactory,
    getProcessArgvBin: argvModule.getProcessArgvBin,
    Parser: parserModule.default,
    y18n: y18n({ directory: join(root, 'locales'), updateFiles: false }),
    requireHelpPart: (name): unknown => fromYargs(name),
    require: fromYargs,
    mainFilename: entry.substring(0, entry.lastIndexOf('node_modules')),
  });
}

/** yargs made from its parts with a platform equal to yargs' ESM shim, help-only parts loaded on first use. */
export function yargsFromParts(parts: YargsParts): YargsFactory {
  type StringWidth = (text: string) => number;
  type Cliui = (options: unknown) => unknown;
  type FindUp = (...args: unknown[]) => unknown;
  type GetCallerFile = (depth: number) => string;
  let stringWidth: StringWidth | undefined;
  let cliui: Cliui | undefined;
  let findUp: FindUp | undefined;
  let getCallerFile: GetCallerFile | undefined;
  const shim = {
    // yargs checks its own calls with these on every run. node:assert is loaded only when a check
    // fails (to throw its usual AssertionError): loading it also loads Node's terminal-colour code,
    // which opens stderr, ~15 ms of CPU per run. Object.is is what assert's strict checks compare with.
    assert: {
      notStrictEqual: (actual: unknown, expected: unknown, message?: string | Error) => {
        if (!Object.is(actual, expected)) return;
        const assert: NodeAssert = process.getBuiltinModule('node:assert');
        assert.notStrictEqual(actual, expected, message);
      },
      strictEqual: (actual: unknown, expected: unknown, message?: string | Error) => {
        if (Object.is(actual, expected)) return;
        const assert: NodeAssert = process.getBuiltinModule('node:assert');
        assert.strictEqual(actual, expected, message);
      },
    },
    cliui: (options: unknown) => (cliui ??= defaultExport<Cliui>(parts.requireHelpPart('cliui')))(options),
    findUp: parts.findUp ?? ((...args: unknown[]) => (findUp ??= defaultExport<FindUp>(parts.requireHelpPart('escalade/sync')))(...args)),
    getEnv: (key: string) => process.env[key],
    inspect,
    getProcessArgvBin: parts.getProcessArgvBin,
    mainFilename: parts.mainFilename || process.cwd(),
    Parser: parts.Parser,
    path: { basename, dirname, extname, relative, resolve, join },
    process: {
      argv: () => process.argv,
      cwd: () => process.cwd(),
      emitWarning: (warning: string, type?: string) => process.emitWarning(warning, type),
      execPath: () => process.execPath,
      exit: (code?: number) => {
        process.exit(code);
      },
      nextTick: (callback: (...args: unknown[]) => void, ...args: unknown[]) => process.nextTick(callback, ...args),
      stdColumns: typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null,
    },
    readFileSync,
    readdirSync,
    require: parts.require,
    getCallerFile: () => {
      const callerFile = (getCallerFile ??= defaultExport<GetCallerFile>(parts.requireHelpPart('get-caller-file')))(3);
      return callerFile.startsWith('file://') ? fileURLToPath(callerFile) : callerFile;
    },
    stringWidth: (text: string) => (stringWidth ??= defaultExport<StringWidth>(parts.requireHelpPart('string-width')))(text),
    y18n: parts.y18n,
  };
  return parts.YargsFactory(shim);
}

/**
 * Stops yargs from rendering a command's whole help text each time the command runs. yargs caches
 * it so that a later `showHelp()` from inside a handler can print it; airsign never calls
 * `showHelp()` (its failure handler throws instead), so the render (~20 ms, and loading cliui and
 * string-width) bought nothing. `--help` output is unaffected.
 */
export function skipHelpCache(parser: Argv<unknown>): void {
  const internals = (parser as unknown as { getInternalMethods?: () => { getUsageInstance?: () => unknown } }).getInternalMethods?.();
  const usage = internals?.getUsageInstance?.() as { cacheHelpMessage?: () => void } | undefined;
  if (usage !== undefined && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

/** The default export of a CommonJS module or of an ES module loaded with require(). */
export function defaultExport<T>(module: unknown): T {
  const value = module as { __esModule?: boolean; default?: unknown };
  return (typeof value === 'object' && value !== null && 'default' in value ? value.default : value) as T;
}
