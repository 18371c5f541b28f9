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
  /** Write large outputs with direct I/O (false when AIRSIGN_DIRECT_IO=0). */
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
      const built = spec.builder(yargs);
      for (const [example, text] of spec.examples ?? []) built.example(example, text);
      return built;
    },
    handler: async (args) => {
      if (!runner) throw new Error('command runner not installed');
      await runner(spec, args as ArgumentsCamelCase<A & GlobalOptions>);
    },
  };
}
