/**
 * The CLI harness: parses argv with yargs, runs one command, prints its result, and maps errors to
 * the fixed exit codes. No stack trace unless --debug.
 */
import type { Argv, CommandModule } from 'yargs';
import { AirsignError, isAirsignError } from '../errors.js';
import { printable, printableLines } from '../printable.js';
import { addExamples, EXAMPLE_LINE_MAX, setCommandRunner, type CommandContext, type GlobalOptions } from './command.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { loadYargs, skipHelpCache } from './load-yargs.js';
import { installInterruptHandlers, type InterruptScope } from './interrupts.js';
import { createProgress } from './progress.js';
import { promptHidden, withTerminalHint } from './prompt-secret.js';
import { renderOptionFlags } from './option-flags.js';
// Each command has its own argument type and CommandModule is invariant in it (builder returns it,
// handler takes it), so a list of them needs `any`; main only hands each to parser.command().
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = CommandModule<GlobalOptions, any>;

/**
 * Every command, in the order `--help` lists them, loaded on demand: a run loads only the command
 * it names (each pulls in its own libraries: ASN.1, PKCS#11, noble), so start-up stays short.
 */
const COMMANDS: Record<string, () => Promise<AnyCommand>> = {
  inspect: async () => (await import('./commands/inspect.js')).inspectCommand,
  strip: async () => (await import('./commands/strip.js')).stripCommand,
  repack: async () => (await import('./commands/repack.js')).repackCommand,
  sign: async () => (await import('./commands/sign.js')).signCommand,
  verify: async () => (await import('./commands/verify.js')).verifyCommand,
  'verify-signature': async () => (await import('./commands/verify-signature.js')).verifySignatureCommand,
  key: async () => (await import('./commands/key.js')).keyCommand,
  cert: async () => (await import('./commands/cert.js')).certCommand,
  completion: async () => (await import('./commands/completion.js')).completionCommand,
  version: async () => (await import('./commands/version.js')).versionCommand,
};

/** Every command's name, in the order `--help` lists them (the tests walk every command's help from it). */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

/** Subcommands of the commands that have them (test/integration/cli-harness.test.ts checks them against --help). */
export const SUBCOMMANDS: Readonly<Record<string, readonly string[]>> = { key: ['list', 'export', 'generate'], cert: ['create'] };

/**
 * The help to point a usage error at: `airsign sign --help` for a mistake in `airsign sign …`,
 * `airsign key export --help` in `airsign key export …`, `airsign --help` when no command is named.
 */
export function helpCommandFor(argv: string[]): string {
  const words = argv.filter((arg) => !arg.startsWith('-'));
  const path = ['airsign'];
  const command = words[0];
  if (command !== undefined && Object.hasOwn(COMMANDS, command)) {
    path.push(command);
    const sub = words[1];
    if (sub !== undefined && (SUBCOMMANDS[command] ?? []).includes(sub)) path.push(sub);
  }
  return `${path.join(' ')} --help`;
}

/**
 * yargs' usage messages, said the way airsign's own errors are (lower case, options with their
 * dashes, the unknown word named): "Missing required argument: key" → "missing required option
 * --key"; "Did you mean sign?" → "unknown command "sgn"; did you mean sign?".
 */
export function usageText(message: string, argv: readonly string[], required: readonly string[] = []): string {
  const text = oneLine(message).replace(/\.$/, '');
  const missing = /^Missing required arguments?: (.+)$/.exec(text);
  if (missing !== null) {
    const names = missing[1]!.split(', ').map((name) => `--${name}`);
    return `missing required option${names.length > 1 ? 's' : ''} ${names.join(', ')}`;
  }
  const positional = /^Not enough non-option arguments: got (\d+), need at least (\d+)$/.exec(text);
  if (positional !== null) {
    const missingNames = required.slice(Number(positional[1]));
    if (missingNames.length === 0) return `missing an argument (got ${positional[1]!}, need at least ${positional[2]!})`;
    return `missing the argument${missingNames.length > 1 ? 's' : ''} ${missingNames.map((name) => `<${name}>`).join(' ')}`;
  }
  const suggestion = /^Did you mean (.+)\?$/.exec(text);
  const word = argv.find((arg) => !arg.startsWith('-'));
  if (suggestion !== null && word !== undefined) return `unknown command "${word}"; did you mean ${suggestion[1]!}?`;
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * `--version` anywhere on the command line (without --help) is `airsign version`: the same report
 * (version, Node inside, platform, PKCS#11 support), with --json/--debug kept, and nothing else run
 * (as yargs' own --version did: `airsign sign x.tar --version` prints the version, signs nothing).
 */
export function versionAsCommand(argv: readonly string[]): string[] {
  if (!argv.includes('--version') || argv.includes('--help') || argv.includes('-h')) return [...argv];
  return ['version', ...argv.filter((arg) => arg === '--json' || arg === '--debug')];
}

/** The commands to register: just the one named on the command line; all otherwise (for help and errors). */
async function loadCommands(argv: string[]): Promise<AnyCommand[]> {
  const named = argv.find((arg) => !arg.startsWith('-'));
  const load = named !== undefined && Object.hasOwn(COMMANDS, named) ? [COMMANDS[named]!] : Object.values(COMMANDS);
  return Promise.all(load.map((loader) => loader()));
}

/** The required positional arguments (`<layout>`) of the command named in argv, in order. */
function requiredPositionals(argv: readonly string[], commands: readonly AnyCommand[]): string[] {
  const named = argv.find((arg) => !arg.startsWith('-'));
  for (const command of commands) {
    const spec = typeof command.command === 'string' ? command.command : (command.command?.[0] ?? '');
    if (spec.split(' ')[0] !== named) continue;
    return [...spec.matchAll(/<([^>]+)>/g)].map((m) => m[1]!);
  }
  return [];
}

class UsageError extends AirsignError {
  constructor(message: string, argv: readonly string[], required: readonly string[] = []) {
    super('USAGE', usageText(message, argv, required));
  }
}

export async function main(commandLine: string[]): Promise<number> {
  const argv = versionAsCommand(commandLine);
  const debug = argv.includes('--debug');
  const json = argv.includes('--json');
  let exitCode: number = ExitCode.Ok;
  let interrupts: InterruptScope | undefined;

  setCommandRunner(async (spec, args) => {
    // Every line printed is escaped (src/printable.ts): values from the artifact cannot drive the terminal.
    const progress = createProgress(process.stderr, !args.json);
    // A message (an interrupt, a lock wait) starts on a line of its own, not after the bar.
    const log = (message: string) => {
      progress.clearLine();
      process.stderr.write(`airsign: ${printable(message)}\n`);
    };
    interrupts = installInterruptHandlers(log);
    const context: CommandContext = {
      json: Boolean(args.json),
      debug: Boolean(args.debug),
      progress,
      log,
      signal: interrupts.signal,
      onLockWait: (holder, path) => log(`waiting for process ${holder.pid} on ${holder.hostname} to finish with ${path}`),
      secrets: {
        env: process.env,
        signal: interrupts.signal,
        ...(process.stdin.isTTY ? { promptSecret: promptHidden } : {}),
        ...((args as { secretTrailingSpace?: unknown }).secretTrailingSpace === true ? { trailingSpaceIsSecret: true } : {}),
      },
      directIo: process.env['AIRSIGN_DIRECT_IO'] === '1',
    };
    let result;
    try {
      result = await spec.run(args, context);
    } catch (error) {
      throw withTerminalHint(error, process.platform, process.stdin.isTTY === true);
    }
    if (args.json) {
      if (result.json !== undefined) process.stdout.write(`${JSON.stringify(jsonDocument(result.json), null, 2)}\n`);
    } else if (result.text !== undefined && result.text !== '') {
      const text = printableLines(result.text);
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
    exitCode = result.exitCode ?? ExitCode.Ok;
  });

  const [yargs, commands] = await Promise.all([loadYargs(), loadCommands(argv)]);
  let parser: Argv<GlobalOptions> = yargs(argv)
    .scriptName('airsign')
    .usage('$0 <command> [options]\n\nSign container images offline inside OCI image-layout tarballs.')
    .option('json', { type: 'boolean', default: false, describe: 'Print one JSON document on stdout' })
    .option('debug', { type: 'boolean', default: false, describe: 'Print stack traces on errors' })
    .version(false)
    .option('version', { type: 'boolean', describe: 'Show the version, Node inside, platform and PKCS#11 support (as `airsign version`)' })
    // Answers \`--get-yargs-completions <words>\` for the scripts \`airsign completion <shell>\` prints
    // (yargs' own script command is registered under a name nobody types, and hidden).
    .completion('__yargs-completion-script', false)
    .help()
    .alias('help', 'h')
    .strict()
    .demandCommand(1, 'Name a command.')
    .recommendCommands()
    // Never narrower than the longest example line (copy-paste must work), at most 110.
    .wrap(Math.max(EXAMPLE_LINE_MAX + 4, Math.min(110, process.stdout.columns || 100)))
    .fail((message, error) => {
      // yargs passes an Error for a throw in a builder or handler, a string for a .check() failure.
      if (error instanceof Error) throw error;
      throw new UsageError(message ?? 'invalid command line', argv, requiredPositionals(argv, commands));
    });
  for (const command of commands) parser = parser.command(command);
  skipHelpCache(parser);
  addExamples(parser, [
    ['$0 inspect image.tar', 'Show tags, manifests, blobs and signatures'],
    ['$0 strip image.tar --directory .layers', 'Keep only metadata in image.tar'],
    ['$0 sign image.tar --key key.pem --cert cert.pem --format notation', 'Add a Notation signature'],
  ]).epilogue(
      'Exit codes: 0 ok, 1 verification failed, 2 usage or bad input, 3 key/HSM error, 69 service (TSA) unreachable,\n' +
        '70 internal error, 129/130/143 interrupted (SIGHUP/SIGINT/SIGTERM; unfinished files are removed).\n' +
        'Large outputs go through the page cache and are fsync\'d; AIRSIGN_DIRECT_IO=1 sends them to the disk with direct I/O where the file system allows it.',
    );

  try {
    await parser.parseAsync();
    return exitCode;
  } catch (error) {
    // Interrupted: the command removed what it had not finished; exit 128 + the signal number.
    if (interrupts?.received() !== undefined) {
      if (debug && error instanceof Error) process.stderr.write(`${error.stack ?? error.message}\n`);
      return interrupts.exitCode();
    }
    return reportError(error, { debug, json, help: helpCommandFor(argv) });
  } finally {
    interrupts?.dispose();
  }
}

function reportError(error: unknown, options: { debug: boolean; json: boolean; help: string }): number {
  if (isAirsignError(error)) {
    // The library names options by field (options.identity); the command line has flags (--identity).
    const message = renderOptionFlags(error.message);
    if (error instanceof UsageError) {
      // One line, pointing at the help of the command that was mistyped.
      process.stderr.write(`airsign: ${message} (see '${options.help}')\n`);
    } else {
      process.stderr.write(`airsign: error: ${oneLine(message)}\n`);
    }
    if (options.debug && error.stack) process.stderr.write(`${error.stack}\n${causeChain(error)}`);
    if (options.json) {
      process.stdout.write(`${JSON.stringify(jsonDocument({ error: { code: error.code, kind: error.kind, message, details: error.details } }), null, 2)}\n`);
    }
    return exitCodeFor(error.kind);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`airsign: internal error: ${oneLine(message)}${options.debug ? '' : ' (run with --debug for details)'}\n`);
  if (options.debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n${causeChain(error)}`);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(jsonDocument({ error: { code: 'INTERNAL', kind: 'internal', message } }), null, 2)}\n`);
  }
  return ExitCode.Internal;
}

/**
 * The version of the `--json` documents' shape: every document printed (a command's result or an
 * error) starts with `"schemaVersion": 1`, so scripts can check what they parse. A field is added
 * without a change; a field renamed, removed or given another meaning raises it.
 */
export const JSON_SCHEMA_VERSION = 1;

/** `document` with schemaVersion first (a document that carries its own, such as inspect's, keeps it). */
export function jsonDocument(document: unknown): unknown {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return { schemaVersion: JSON_SCHEMA_VERSION, result: document };
  return { schemaVersion: JSON_SCHEMA_VERSION, ...document };
}

function oneLine(text: string): string {
  return printable(text.replace(/\s*\n\s*/g, ' '));
}

function causeChain(error: Error): string {
  let out = '';
  let cause = error.cause;
  while (cause instanceof Error) {
    out += `caused by: ${cause.stack ?? cause.message}\n`;
    cause = cause.cause;
  }
  return out;
}
