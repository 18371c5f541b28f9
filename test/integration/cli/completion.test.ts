/**
 * `airsign completion <shell>`: the printed script, sourced into the real shell (bash, zsh, fish
 * from Debian's packages), completes commands, subcommands and a command's options by asking the
 * CLI (`--get-yargs-completions`), and falls back to file names where the CLI offers nothing.
 * PowerShell is not packaged for Debian, so its script is checked for shape only.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliShellWords, runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp-dir.js';

const work = tempDir('airsign-completion-');
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  const bin = join(work, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'airsign'), `#!/bin/sh\nexec ${cliShellWords()} "$@"\n`, { mode: 0o755 });
  env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: work, XDG_CONFIG_HOME: join(work, 'config'), XDG_DATA_HOME: join(work, 'data') };
});

function script(shell: string): string {
  const r = runCli(['completion', shell]);
  expect(r.code, r.stderr).toBe(0);
  const path = join(work, `completion.${shell}`);
  writeFileSync(path, r.stdout);
  return path;
}

function lines(command: string, args: string[]): string[] {
  const r = spawnSync(command, args, { cwd: work, env, encoding: 'utf8' });
  expect(r.status, `${command}: ${r.stderr}`).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('airsign completion', () => {
  it('bash: commands, subcommands, options of the command typed', () => {
    const path = script('bash');
    const complete = (words: string[]) =>
      lines('bash', ['-c', `source '${path}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _airsign_complete; printf '%s\\n' "\${COMPREPLY[@]}"`]);
    expect(complete(['airsign', 'verify-'])).toEqual(['verify-signature']);
    expect(complete(['airsign', 'ver'])).toEqual(['verify', 'verify-signature', 'version']);
    expect(complete(['airsign', 'key', '']).sort()).toEqual(['export', 'generate', 'list']);
    expect(complete(['airsign', 'sign', 'x.tar', '--iden'])).toEqual(['--identity']);
    // Options belong to the command typed: verify has --trust-policy, sign does not.
    expect(complete(['airsign', 'verify', 'x.tar', '--trust-p'])).toEqual(['--trust-policy']);
    expect(complete(['airsign', 'sign', 'x.tar', '--trust-p'])).toEqual([]);
    // A file argument: nothing from the CLI, so bash's own file names (complete -o default).
    expect(complete(['airsign', 'inspect', ''])).toEqual([]);
  });

  it('zsh: the same words reach compadd; nothing offered means file names', () => {
    const path = script('zsh');
    const complete = (words: string[]) =>
      lines('zsh', ['-f', '-c', `compdef() { :; }; compadd() { shift; print -l -- "$@"; }; _files() { print FILES; }; source '${path}'; words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}; _airsign`]);
    expect(complete(['airsign', 'key', '']).sort()).toEqual(['export', 'generate', 'list']);
    expect(complete(['airsign', 'verify', 'x.tar', '--'])).toContain('--trust-policy');
    expect(complete(['airsign', 'inspect', ''])).toEqual(['FILES']);
  });

  it('fish: complete -C lists the commands and options', () => {
    const path = script('fish');
    const complete = (line: string) => lines('fish', ['--no-config', '-c', `source '${path}'; complete -C '${line}'`]).map((l) => l.split('\t')[0]);
    // fish adds the folder's file names to what the CLI offers.
    expect(complete('airsign key ')).toEqual(expect.arrayContaining(['export', 'generate', 'list']));
    expect(complete('airsign sign x.tar --iden')).toEqual(['--identity']);
  });

  it('pwsh: registers a native argument completer that asks the CLI', () => {
    const text = runCli(['completion', 'pwsh']).stdout;
    expect(text).toMatch(/^Register-ArgumentCompleter -Native -CommandName airsign, airsign\.exe /m);
    expect(text).toContain('--get-yargs-completions @words');
  });

  it('an unknown shell is a usage error naming the choices', () => {
    const r = runCli(['completion', 'ksh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"bash", "zsh", "fish", "pwsh"/);
  });
});
