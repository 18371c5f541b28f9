/**
 * The README's step-by-step block, pasted into bash as written (after `npm ci`, which the suite has
 * done): it runs in a scratch folder, ends "Verified." under samples/trustpolicy.json, and leaves no
 * key, certificate or tar in the clone. samples/policy.json parses as a containers policy.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { parseContainersPolicy, requirementsFor } from '../../src/verify/containers-policy.js';
import { parseDockerReference } from '../../src/formats/docker-reference.js';
import { tempDir } from '../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tmp = tempDir('airsign-readme-');

function stepByStep(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /Step by step, by hand[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme);
  if (block === null) throw new Error('README has no step-by-step ```sh block');
  return block[1]!;
}

it('the step-by-step block runs as written in a scratch folder and ends Verified.', () => {
  const script = stepByStep().replace(/^npm ci\b.*$/m, ': npm ci already ran');
  const r = spawnSync('bash', ['-e', '-O', 'expand_aliases', '-c', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TMPDIR: tmp } });
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  expect(r.stdout).toMatch(/Signature notation sha256:[0-9a-f]{64}: VALID[\s\S]*Verified\.\n$/);
  for (const name of ['key.pem', 'cert.pem', 'app.tar', 'truststore']) expect(existsSync(join(ROOT, name)), name).toBe(false);
});

it('samples/policy.json needs GPG and cosign signatures for docker.io/library/app and rejects the rest', () => {
  const path = join(ROOT, 'samples', 'policy.json');
  const policy = parseContainersPolicy(new Uint8Array(readFileSync(path)), path);
  const app = requirementsFor(policy, parseDockerReference('docker.io/library/app:1.4'));
  expect(app.requirements.map((r) => r.type)).toEqual(['signedBy', 'sigstoreSigned']);
  expect(requirementsFor(policy, parseDockerReference('registry.example/other:1')).requirements.map((r) => r.type)).toEqual(['reject']);
});
