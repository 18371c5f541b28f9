/**
 * yargs' parts for the single-file release, where there is no node_modules to find them in:
 * the same files src/cli/load-yargs.ts loads from disk, bundled by esbuild, and yargs' locale files
 * carried inside the bundle (y18n reads them from disk otherwise, and help would silently turn
 * English under LANG=de_DE). Help-only parts stay lazy: they are bundled but run on first use.
 */
import { format } from 'node:util';
import { basename, join, resolve } from 'node:path';
import { YargsFactory } from 'airsign-bundle:yargs-factory';
import { getProcessArgvBin } from 'airsign-bundle:yargs-process-argv';
import Parser from 'airsign-bundle:yargs-parser';
import { y18n } from 'airsign-bundle:y18n';
import locales from 'airsign-bundle:yargs-locales';
import type { YargsParts } from '../cli/load-yargs.js';

/** A directory name that exists nowhere: y18n only ever asks the shim below for files in it. */
const LOCALE_DIRECTORY = '/airsign-bundled-yargs-locales';

function localeName(file: string): string | undefined {
  const name = basename(file, '.json');
  return resolve(LOCALE_DIRECTORY, `${name}.json`) === resolve(file) && Object.hasOwn(locales, name) ? name : undefined;
}

/** y18n's platform shim with the locale files read from the bundle. */
const y18nShim = {
  fs: {
    readFileSync: (file: string): string => {
      const name = localeName(file);
      if (name === undefined) throw Object.assign(new Error(`no bundled locale ${file}`), { code: 'ENOENT' });
      return locales[name]!;
    },
    writeFile: (_file: string, _data: string, _encoding: string, callback: (error: Error | null) => void): void => callback(null),
  },
  format,
  resolve,
  exists: (file: string): boolean => localeName(file) !== undefined,
};

/* eslint-disable @typescript-eslint/no-require-imports -- esbuild bundles these require() calls; they run on first use only */
function requireHelpPart(name: Parameters<YargsParts['requireHelpPart']>[0]): unknown {
  switch (name) {
    case 'cliui':
      return require('airsign-bundle:yargs-dep:cliui');
    case 'escalade/sync':
      return require('airsign-bundle:yargs-dep:escalade/sync');
    case 'string-width':
      return require('airsign-bundle:yargs-dep:string-width');
    case 'get-caller-file':
      return require('airsign-bundle:yargs-dep:get-caller-file');
  }
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** yargs' parts as bundled. Config files (`extends`) are required relative to the working directory. */
export function bundledYargsParts(): YargsParts {
  return {
    YargsFactory,
    getProcessArgvBin,
    Parser,
    y18n: y18n({ directory: LOCALE_DIRECTORY, updateFiles: false }, y18nShim),
    requireHelpPart,
    require: (id: string) => {
      throw new Error(`cannot load ${id}: the single-file airsign loads no modules from disk`);
    },
    mainFilename: process.cwd(),
    // yargs looks for a package.json above mainFilename to guess a version (which airsign replaces
    // with its own at once): stock yargs would walk from the working directory up to / and, finding
    // none, fail an assertion (loading node:assert). Here it is pointed at a file that does not
    // exist, which yargs' reader fails to read, so the guess is "unknown" as before, at once.
    findUp: () => join(LOCALE_DIRECTORY, 'package.json'),
  };
}
