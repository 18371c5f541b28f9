/**
 * Differential: the verdicts of containers/image `signature/policy_eval_signedby_test.go`
 * (TestPRSignedByIsRunningImageAllowed, TestPRSignedByIsSignatureAuthorAccepted),
 * `policy_eval_simple_test.go` and `policy_eval_baselayer_test.go` on the upstream fixtures
 * (test/fixtures/containers-image, README there), reached through airsign's policy evaluation.
 * Upstream "rejected" cases are refused here either as a verdict (exit 1) or, where upstream fails
 * on unusable policy input (a key file that does not exist), as a policy error (exit 2).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAirsignError } from '../../../src/errors.js';
import { parseDockerReference } from '../../../src/formats/docker-reference.js';
import { parseContainersPolicy } from '../../../src/verify/containers-policy.js';
import { evaluateContainersPolicy, type PolicySignatureInput } from '../../../src/verify/evaluate-containers-policy.js';

const CI = new URL('../../fixtures/containers-image/', import.meta.url).pathname;
const NOW = new Date('2026-01-01T00:00:00Z');
const at = (name: string) => join(CI, name);

function dirImage(dir: string): { manifest: Uint8Array; signatures: PolicySignatureInput[] } {
  const names = readdirSync(at(dir)).filter((f) => /^signature-\d+$/.test(f)).sort();
  return {
    manifest: new Uint8Array(readFileSync(at(`${dir}/manifest.json`))),
    signatures: names.map((f) => ({ format: 'gpg', name: f, bytes: new Uint8Array(readFileSync(at(`${dir}/${f}`))) })),
  };
}

async function allowed(requirement: unknown, image: { manifest: Uint8Array; signatures: PolicySignatureInput[] }, reference = 'testing/manifest:latest'): Promise<boolean> {
  try {
    const policy = parseContainersPolicy(new TextEncoder().encode(JSON.stringify({ default: [requirement] })), join(CI, 'policy-under-test.json'));
    return (await evaluateContainersPolicy(policy, parseDockerReference(reference), image.manifest, image.signatures, { now: NOW })).verified;
  } catch (e) {
    if (isAirsignError(e) && e.kind === 'input') return false;
    throw e;
  }
}

const matchExact = { type: 'matchExact' };
const gpg = (keys: Record<string, unknown>, signedIdentity: unknown = matchExact, keyType = 'GPGKeys') => ({ type: 'signedBy', keyType, ...keys, signedIdentity });
const keyPath = { keyPath: at('gpg/public-key.gpg') };
const oneSignature = (file: string, manifestDir = 'dir-img-valid') => ({ manifest: dirImage(manifestDir).manifest, signatures: [{ format: 'gpg' as const, name: file, bytes: new Uint8Array(readFileSync(at(file))) }] });

const cases: Array<[string, () => Promise<boolean>, boolean]> = [
  // TestPRSignedByIsRunningImageAllowed
  ['dir-img-valid, testing/manifest:latest', () => allowed(gpg(keyPath), dirImage('dir-img-valid')), true],
  ['dir-img-unsigned', () => allowed(gpg(keyPath), dirImage('dir-img-unsigned')), false],
  ['dir-img-valid, testing/manifest:notlatest', () => allowed(gpg(keyPath), dirImage('dir-img-valid'), 'testing/manifest:notlatest'), false],
  ['dir-img-valid-2 (two valid)', () => allowed(gpg(keyPath), dirImage('dir-img-valid-2')), true],
  ['dir-img-mixed (one invalid, one valid)', () => allowed(gpg(keyPath), dirImage('dir-img-mixed')), true],
  ['dir-img-valid-2, :notlatest (two invalid)', () => allowed(gpg(keyPath), dirImage('dir-img-valid-2'), 'testing/manifest:notlatest'), false],
  ['dir-img-valid-subkey with public-key-with-subkey.gpg', () => allowed(gpg({ keyPath: at('gpg/public-key-with-subkey.gpg') }), dirImage('dir-img-valid-subkey')), true],
  // TestPRSignedByIsSignatureAuthorAccepted
  ['keyPath', () => allowed(gpg(keyPath), dirImage('dir-img-valid')), true],
  ['keyPaths public-key-1, public-key-1', () => allowed(gpg({ keyPaths: [at('public-key-1.gpg'), at('public-key-1.gpg')] }), dirImage('dir-img-valid')), true],
  ['keyPaths public-key-2, public-key-1', () => allowed(gpg({ keyPaths: [at('public-key-2.gpg'), at('public-key-1.gpg')] }), dirImage('dir-img-valid')), true],
  ['keyData', () => allowed(gpg({ keyData: readFileSync(at('gpg/public-key.gpg')).toString('base64') }), dirImage('dir-img-valid')), true],
  ['keyType signedByGPGKeys', () => allowed(gpg(keyPath, matchExact, 'signedByGPGKeys'), dirImage('dir-img-valid')), false],
  ['keyType X509Certificates', () => allowed(gpg(keyPath, matchExact, 'X509Certificates'), dirImage('dir-img-valid')), false],
  ['keyType signedByX509CAs', () => allowed(gpg(keyPath, matchExact, 'signedByX509CAs'), dirImage('dir-img-valid')), false],
  ['keyPath that does not exist', () => allowed(gpg({ keyPath: '/this/does/not/exist' }), dirImage('dir-img-valid')), false],
  ['keyPaths with one that does not exist', () => allowed(gpg({ keyPaths: [at('gpg/public-key.gpg'), '/this/does/not/exist'] }), dirImage('dir-img-valid')), false],
  ['"invalid signature"', () => allowed(gpg(keyPath), { manifest: dirImage('dir-img-valid').manifest, signatures: [{ format: 'gpg', name: 'x', bytes: new TextEncoder().encode('invalid signature') }] }), false],
  ['unknown-key.signature', () => allowed(gpg(keyPath), oneSignature('unknown-key.signature')), false],
  ['invalid-blob.signature', () => allowed(gpg(keyPath), oneSignature('invalid-blob.signature')), false],
  ['a non-matching signedIdentity', () => allowed(gpg(keyPath, { type: 'exactReference', dockerReference: 'this/does-not:match' }), dirImage('dir-img-valid')), false],
  ['dir-img-manifest-digest-error', () => allowed(gpg(keyPath), dirImage('dir-img-manifest-digest-error')), false],
  ['dir-img-modified-manifest', () => allowed(gpg(keyPath), dirImage('dir-img-modified-manifest')), false],
  // policy_eval_simple_test.go, policy_eval_baselayer_test.go
  ['insecureAcceptAnything', () => allowed({ type: 'insecureAcceptAnything' }, dirImage('dir-img-unsigned')), true],
  ['reject', () => allowed({ type: 'reject' }, dirImage('dir-img-valid')), false],
  ['signedBaseLayer', () => allowed({ type: 'signedBaseLayer', baseLayerIdentity: { type: 'matchRepository' } }, dirImage('dir-img-valid')), false],
];

describe('containers/image policy_eval_*_test.go verdicts', () => {
  it.each(cases)('%s', async (_name, run, expected) => {
    expect(await run()).toBe(expected);
  });
  it('counts', () => {
    console.log(`containers/image policy_eval differential: ${cases.length} cases (${cases.filter((c) => c[2]).length} allowed upstream), all must agree`);
  });
});
