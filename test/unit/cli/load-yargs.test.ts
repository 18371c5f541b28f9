import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { Argv } from 'yargs';
import { loadLazyYargs, loadStockYargs, skipHelpCache, type YargsFactory } from '../../../src/cli/load-yargs.js';

/** A parser shaped like airsign's (strict, commands with options and examples, wrap, custom fail). */
function build(yargs: YargsFactory, argv: string[], ran: string[]): Argv {
  return yargs(argv)
    .scriptName('tool')
    .usage('$0 <command> [options]\n\nDoes things with “layouts” — tarballs…')
    .option('json', { type: 'boolean', default: false, describe: 'Print one JSON document' })
    .version('1.2.3')
    .help()
    .alias('help', 'h')
    .strict()
    .demandCommand(1, 'Name a command.')
    .recommendCommands()
    .wrap(72)
    .fail((message, error) => {
      throw error ?? new Error(message ?? 'invalid command line');
    })
    .command(
      'strip <layout>',
      'Move every layer blob into a directory and leave a metadata-only layout tarball behind',
      (y) =>
        y
          .positional('layout', { type: 'string', describe: 'OCI layout tar (or directory, .tar.gz, - for stdin)' })
          .option('directory', { alias: 'd', type: 'string', demandOption: true, describe: 'Directory for the blobs' })
          .option('format', { type: 'array', describe: 'Signature format, repeatable (notation, notation-cose)' })
          .example('$0 strip image.tar -d layers', 'Strip image.tar in place; layers go to ./layers'),
      (args) => {
        ran.push(`strip ${String(args.layout)} ${String(args.directory)}`);
      },
    )
    .command('sign <input>', 'Sign an image with a key: pkcs11:… URI or a file', {}, () => {
      ran.push('sign');
    })
    .epilogue('Exit codes: 0 ok, 2 usage.');
}

async function outcome(yargs: YargsFactory, argv: string[], locale?: string): Promise<unknown> {
  const ran: string[] = [];
  const parser = build(yargs, argv, ran);
  if (locale !== undefined) parser.locale(locale);
  try {
    const parsed = await parser.parseAsync();
    return { ran, parsed: { ...parsed, $0: undefined } };
  } catch (error) {
    return { ran, error: (error as Error).message };
  }
}

async function help(yargs: YargsFactory, argv: string[], locale?: string): Promise<string> {
  const parser = build(yargs, argv, []);
  if (locale !== undefined) parser.locale(locale);
  return parser.getHelp();
}

describe('loadLazyYargs', () => {
  it('runs against the one yargs version package.json pins exactly (its private layout is relied on)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    const pinned = pkg.dependencies['yargs'];
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/); // no ^ or ~: an update is a deliberate edit that reruns this file
    const installed = (createRequire(import.meta.url)('yargs/package.json') as { version: string }).version;
    expect(installed).toBe(pinned);
  });

  it('builds yargs from its own factory (no fallback to the stock entry point)', async () => {
    const lazy = await loadLazyYargs();
    const stock = await loadStockYargs();
    expect(typeof lazy).toBe('function');
    expect(lazy).not.toBe(stock);
  });

  it('renders help exactly as stock yargs does, with non-ASCII text, in English and another locale', async () => {
    const [lazy, stock] = await Promise.all([loadLazyYargs(), loadStockYargs()]);
    for (const argv of [[], ['strip']]) {
      for (const locale of [undefined, 'de', 'fr']) {
        const text = await help(lazy, argv, locale);
        expect(text).toBe(await help(stock, argv, locale));
        expect(text).toContain('tool strip <layout>');
        if (locale === 'de') expect(text).toContain('Optionen:');
      }
    }
  });

  it('parses, validates and suggests exactly as stock yargs does', async () => {
    const [lazy, stock] = await Promise.all([loadLazyYargs(), loadStockYargs()]);
    const cases = [
      ['strip', 'a.tar', '-d', 'out'],
      ['strip', 'a.tar', '--directory=out', '--json'],
      ['strip', 'a.tar'],
      ['strp', 'a.tar'],
      ['strip', 'a.tar', '-d', 'x', '--bogus'],
      [],
      ['sign', 'i.tar', 'extra'],
    ];
    for (const argv of cases) {
      const got = await outcome(lazy, argv);
      expect(got).toEqual(await outcome(stock, argv));
    }
    expect(await outcome(lazy, ['strp', 'a.tar'])).toMatchObject({ error: 'Did you mean strip?' });
    expect(await outcome(lazy, ['strip', 'a.tar', '-d', 'out'])).toMatchObject({ ran: ['strip a.tar out'] });
  });
});

describe('skipHelpCache', () => {
  it('stops yargs from rendering the help text when a command runs, and only that', async () => {
    const yargs = await loadLazyYargs();
    const cached = (parser: Argv): boolean =>
      (parser as unknown as { getInternalMethods(): { getUsageInstance(): { hasCachedHelpMessage(): boolean } } })
        .getInternalMethods()
        .getUsageInstance()
        .hasCachedHelpMessage();

    const plain = build(yargs, ['strip', 'a.tar', '-d', 'out'], []);
    await plain.parseAsync();
    expect(cached(plain)).toBe(true); // yargs' behaviour this guards against; if it changes, drop skipHelpCache

    const ran: string[] = [];
    const skipping = build(yargs, ['strip', 'a.tar', '-d', 'out'], ran);
    skipHelpCache(skipping);
    await skipping.parseAsync();
    expect(ran).toEqual(['strip a.tar out']);
    expect(cached(skipping)).toBe(false);
    expect(await skipping.getHelp()).toContain('tool strip <layout>');
  });
});
