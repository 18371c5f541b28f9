/** Shows, once per run, the library's warnings about how key specs were given (a PIN on the command line). */
import { keySpecWarnings } from '../keys/key-spec.js';
import type { CommandContext } from './command.js';

export function warnAboutKeySpecs(context: CommandContext, specs: ReadonlyArray<string | undefined>): void {
  const warnings = new Set(specs.flatMap((spec) => (spec === undefined ? [] : keySpecWarnings(spec))));
  for (const warning of warnings) context.log(`warning: ${warning}`);
}
