/**
 * Every `--json` document starts with `"schemaVersion": 1`: each command's result (inspect, strip,
 * repack, sign, verify, key generate, key export, cert create, version) and the error document.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLES = new URL('../../../samples/', import.meta.url).pathname;
const work = tempDir('airsign-json-schema-');

beforeAll(() => {
  copyFileSync(join(SAMPLES, 'single.tar'), join(work, 'app.tar'));
});

function firstKey(args: string[], code = 0): string {
  const r = runCli([...args, '--json'], { cwd: work });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
  const document = JSON.parse(r.stdout) as Record<string, unknown>;
  expect(document.schemaVersion, args.join(' ')).toBe(1);
  return Object.keys(document)[0]!;
}

it('each command\'s --json document, and the error document, start with schemaVersion 1', () => {
  const steps: Array<[string[], number?]> = [
    [['version']],
    [['inspect', 'app.tar']],
    [['key', 'generate', '--type', 'ecdsa-p256', '--output', 'key.pem']],
    [['key', 'export', '--key', 'key.pem', '-o', 'key.pub']],
    [['cert', 'create', '--key', 'key.pem', '--subject', 'CN=json', '-o', 'cert.pem']],
    [['strip', 'app.tar', '--directory', 'layers']],
    [['sign', 'app.tar', '--key', 'key.pem', '--cert', 'cert.pem', '--format', 'notation']],
    [['repack', 'app.tar', '--directory', 'layers']],
    [['verify', 'app.tar', '--key', 'key.pub'], 1],
    [['inspect', 'missing.tar'], 2],
  ];
  for (const [args, code] of steps) expect(firstKey(args, code), args.join(' ')).toBe('schemaVersion');
});
