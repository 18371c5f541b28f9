/**
 * The shape every CLI command takes: yargs options in, one library call, a result out. The
 * harness (main.ts) prints the result (human text, or one JSON document with --json) and maps
 * errors to exit codes, so commands never print results or exit themselves.
 */
import type { Argv, ArgumentsCamelCase, CommandModule } from 'yargs';
import type { SecretSources } from '../keys/secret-source.js';
import type { Progress } from '../progress.js';

export interface GlobalOptions {
  json: boolean;
  debug: boolean;
}

export interface CommandContext {
  json: boolean;
  debug: boolean;
  /** A progress reporter: draws on stderr only when it is a TTY and --json is off; no-op otherwise. */
  progress: Progress;
  /**
   * What the library may use for secrets: process.env (AIRSIGN_* / COSIGN_* variables) and, when
   * stdin is a terminal, a no-echo prompt. The library reads neither by itself.
   */
  secrets: SecretSources;
  /** Write large outputs with direct I/O (true when AIRSIGN_DIRECT_IO=1). */
  directIo: boolean;
  /** Writes a diagnostic line to stderr (never to stdout, never in --json documents). */
  log(message: string): void;
  /** Aborted when SIGINT, SIGTERM or SIGHUP arrives: pass it to the library call. */
  signal: AbortSignal;
  /** Reports that another run holds the file and this one waits (pass to the library call). */
  onLockWait: (holder: { pid: number; hostname: string }, path: string) => void;
}

export interface CommandResult {
  /** Human text for stdout (without --json). */
  text?: string;
  /** The document printed with --json. */
  json?: unknown;
  /** Defaults to 0. */
  exitCode?: number;
}

export interface CommandSpec<A> {
  command: string | string[];
  describe: string;
  builder: (yargs: Argv<GlobalOptions>) => Argv<A>;
  /** [command line, what it does]; see addExamples. */
  examples?: Array<[string, string]>;
  run: (args: ArgumentsCamelCase<A & GlobalOptions>, context: CommandContext) => Promise<CommandResult>;
}

/** Handler installed by main.ts; commands only declare themselves. */
export type CommandRunner = <A>(spec: CommandSpec<A>, args: ArgumentsCamelCase<A & GlobalOptions>) => Promise<void>;

let runner: CommandRunner | undefined;

export function setCommandRunner(r: CommandRunner): void {
  runner = r;
}

export function defineCommand<A>(spec: CommandSpec<A>): CommandModule<GlobalOptions, A> {
  return {
    command: spec.command,
    describe: spec.describe,
    builder: (yargs) => {
      return addExamples(spec.builder(yargs), spec.examples ?? []);
    },
    handler: async (args) => {
      if (!runner) throw new Error('command runner not installed');
      await runner(spec, args as ArgumentsCamelCase<A & GlobalOptions>);
    },
  };
}

/**
 * The longest example line: help is never wrapped narrower than EXAMPLE_LINE_MAX + 4 columns
 * (main.ts), so no example is ever broken inside a word, a quoted URI or a path. Longer commands
 * are written over several lines, each but the last ending in a backslash (one paste into a shell).
 */
export const EXAMPLE_LINE_MAX = 76;

/**
 * Shows each example as "# what it does" above the command, the command on lines of its own: in
 * yargs' two-column layout a long command was wrapped mid-URI, and copy-paste broke.
 */
export function addExamples<T>(yargs: Argv<T>, examples: Array<[string, string]>): Argv<T> {
  examples.forEach(([command, text], i) => {
    yargs.example(`${i === 0 ? '' : '\n'}# ${text}\n${command}`, '');
  });
  return yargs;
}
