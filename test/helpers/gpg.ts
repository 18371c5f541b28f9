/** Runs the real gpg (a peer) in a private, throwaway home directory. */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export interface GpgResult {
  code: number;
  stdout: string;
  stderr: string;
}

const homes: string[] = [];

/**
 * A throwaway GNUPGHOME. gpg (and skopeo through gpgme) starts a gpg-agent per home that outlives
 * the test; every home made here has its agent stopped and its directory removed after the test
 * file that made it (the hook is registered when a test file imports this helper), so a test run
 * leaves no daemons behind.
 */
export function gpgHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'airsign-gnupg-'));
  chmodSync(home, 0o700);
  homes.push(home);
  return home;
}

afterAll(removeGpgHomes);

function removeGpgHomes(): void {
  for (const home of homes.splice(0)) {
    spawnSync('gpgconf', ['--homedir', home, '--kill', 'all'], { stdio: 'ignore' });
    rmSync(home, { recursive: true, force: true });
  }
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
