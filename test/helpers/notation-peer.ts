/** Runs the independent Python verifier (test/peers/verify_notation.py) on envelope files. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../peers/verify_notation.py', import.meta.url));

export interface PeerResult {
  code: number;
  lines: string[];
}

/** Writes each envelope to a temp file and verifies them all in one Python run. */
export function verifyWithPython(rootPemPath: string, envelopes: { bytes: Uint8Array; name: string }[],
  expect: { descriptor?: object; algorithm?: string } = {}): PeerResult {
  const dir = mkdtempSync(join(tmpdir(), 'airsign-peer-'));
  const files = envelopes.map(({ bytes, name }) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  });
  const args = [SCRIPT, '--root', rootPemPath,
    ...(expect.descriptor === undefined ? [] : ['--expect-descriptor', JSON.stringify(expect.descriptor)]),
    ...(expect.algorithm === undefined ? [] : ['--expect-alg', expect.algorithm]),
    ...files];
  const result = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
  if (result.error !== undefined) throw result.error;
  return { code: result.status ?? -1, lines: `${result.stdout}${result.stderr}`.trim().split('\n') };
}
