/** Runs the real gpg (a peer) in a private, throwaway home directory. */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GpgResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function gpgHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'airsign-gnupg-'));
  chmodSync(home, 0o700);
  return home;
}

export function gpg(home: string, args: string[], input?: Uint8Array): GpgResult {
  const r = spawnSync('gpg', ['--homedir', home, '--batch', '--no-tty', '--no-auto-check-trustdb', ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The primary-key fingerprint `gpg --with-colons --fingerprint` prints (first fpr record). */
export function gpgFingerprints(home: string): string[] {
  const out = gpg(home, ['--with-colons', '--fingerprint']).stdout;
  return out.split('\n').filter((l) => l.startsWith('fpr:')).map((l) => l.split(':')[9] ?? '');
}
