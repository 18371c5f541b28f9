/**
 * `airsign version` and `--version` (issue 18): version, the Node inside, platform, and whether
 * PKCS#11 support (koffi) loads; --version anywhere runs nothing else. Runs bin/airsign.js (the npm
 * package's CLI); release.test.ts checks the same report from the single-file executables.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { versionAsCommand } from '../../src/cli/main.js';
import { runCli } from '../helpers/cli.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('version', () => {
  it('--version is the version command, wherever it is, keeping only --json and --debug', () => {
    expect(versionAsCommand(['--version'])).toEqual(['version']);
    expect(versionAsCommand(['sign', 'x.tar', '--format', 'notation', '--version', '--json'])).toEqual(['version', '--json']);
    expect(versionAsCommand(['sign', '--version', '--help'])).toEqual(['sign', '--version', '--help']);
    expect(versionAsCommand(['inspect', 'x.tar'])).toEqual(['inspect', 'x.tar']);
  });

  it('airsign --version prints version, Node, platform and PKCS#11 support', () => {
    const r = runCli(['--version']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([`airsign ${VERSION}`, `node ${process.versions.node} (npm package)`, `platform ${process.platform}-${process.arch}`]);
    expect(lines[3]).toMatch(/^pkcs11 (available \(koffi \d+\.\d+\.\d+\)|not available: .+)$/);
    expect(lines.slice(4)).toEqual(['']);
    // Nothing else runs: --version after a command prints the same and signs nothing.
    expect(runCli(['sign', 'missing.tar', '--format', 'notation', '--version']).stdout).toBe(r.stdout);
  });

  it('airsign version --json is one document with the same facts', () => {
    const r = runCli(['version', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ version: VERSION, node: process.versions.node, platform: process.platform, arch: process.arch, build: 'npm' });
    expect(typeof report.pkcs11.loaded).toBe('boolean');
  });
});
