import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('CLI harness', () => {
  it('prints help with every command and exits 0', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['inspect', 'strip', 'repack', 'sign', 'key', 'cert']) expect(r.stdout).toContain(`airsign ${c}`);
  });

  it('rejects an unknown command with exit 2 and a one-line error, no stack', () => {
    const r = runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("airsign: unknown argument: frobnicate (see 'airsign --help')\n");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
