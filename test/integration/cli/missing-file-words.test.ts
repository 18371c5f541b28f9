/**
 * A file named on the command line that cannot be read is reported in words ("no such file"), on
 * one line, with the option it came from — never as a bare errno code such as ENOENT. One case per
 * place that reads a user-named file outside the layout reader.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SINGLE = new URL('../../../samples/single.tar', import.meta.url).pathname;
const work = tempDir('airsign-missing-words-');
let missing: string;

beforeAll(() => {
  missing = join(work, 'not-there.pem');
});

function expectWords(args: string[], mentions: string): void {
  const r = runCli(args);
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(mentions);
  expect(lines[0]).toContain('no such file');
  expect(lines[0]).not.toMatch(/\bE[A-Z]{3,}\b/);
}

describe('unreadable user-named files are reported in words', () => {
  it('sign --tsa-root-cert', () => {
    expectWords(['sign', SINGLE, '--key', missing, '--tsa', 'http://127.0.0.1:9/tsr', '--tsa-root-cert', missing, '--format', 'notation', '-o', join(work, 'out.tar')], '--tsa-root-cert');
  });

  it('verify --trust-policy', () => {
    expectWords(['verify', SINGLE, '--trust-policy', missing], 'trust policy');
  });

  it('verify-signature --manifest', () => {
    const sig = join(work, 'sig');
    writeFileSync(sig, 'x');
    expectWords(['verify-signature', '--format', 'gpg', '--manifest', missing, '--signature', sig, '--identity', 'example.com/app:1', '--keyring', missing], 'manifest');
  });
});
