/**
 * containers policy.json rules as containers/image decides them: signedIdentity matching
 * (policy_reference_match.go), what the parser refuses (policy_config.go, its test tables and
 * fixtures/policy.json), and requirements airsign does not implement applying only in their own
 * scope. In-process: verdict false = exit 1, an input error = exit 2.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAirsignError } from '../../../src/errors.js';
import { parseDockerReference } from '../../../src/formats/docker-reference.js';
import { verifySignatureFile } from '../../../src/operations/verify-signature.js';
import { identityMatches, parseContainersPolicy } from '../../../src/verify/containers-policy.js';
import { tempDir } from '../../helpers/temp-dir.js';

const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname;
const CI = join(FIXTURES, 'containers-image');
const SS = join(FIXTURES, 'sigstore');
const work = tempDir('airsign-policy-rules-');
let n = 0;
const policyFile = (doc: unknown) => {
  const path = join(work, `policy-${n++}.json`);
  writeFileSync(path, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return path;
};

/** 0 verified, 1 not verified, 2 the policy (or other input) refused; with the reasons. */
async function exitOf(format: 'gpg' | 'cosign', manifest: string, signature: string, identity: string, policy: string): Promise<{ code: number; says: string }> {
  try {
    const r = await verifySignatureFile(signature, { format, manifest, identity, policy });
    return { code: r.verified ? 0 : 1, says: r.policy?.requirements.map((q) => `${q.type}: ${q.reason}`).join('; ') ?? '' };
  } catch (e) {
    if (isAirsignError(e) && e.kind === 'input') return { code: 2, says: e.message };
    throw e;
  }
}
const gpgKey = join(CI, 'gpg/public-key.gpg');
const signedBy = (signedIdentity?: unknown) => ({ type: 'signedBy', keyType: 'GPGKeys', keyPath: gpgKey, ...(signedIdentity ? { signedIdentity } : {}) });
const ref = parseDockerReference;

describe('signedIdentity as policy_reference_match.go', () => {
  it('matchRepoDigestOrExact never matches a name-only signed reference', async () => {
    const rule = { type: 'matchRepoDigestOrExact' } as const;
    const image = ref('docker.io/testing/manifest@sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55');
    expect(identityMatches(rule, image, ref('testing/manifest'))).toBe(false);
    expect(identityMatches(rule, image, ref('testing/manifest:latest'))).toBe(true);
    // End to end: image.signature names "testing/manifest" (no tag); the image is pinned by digest.
    const p = policyFile({ default: [{ type: 'reject' }], transports: { docker: { 'docker.io/testing/manifest': [signedBy()] } } });
    const r = await exitOf('gpg', join(CI, 'image.manifest.json'), join(CI, 'image.signature'), 'testing/manifest@sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55', p);
    expect(r.code).toBe(1);
    expect(r.says).toMatch(/does not match/);
  });

  it('remapIdentity compares the prefix with the name and needs "/" or equality after it', () => {
    const remap = (prefix: string, signedPrefix: string) => ({ type: 'remapIdentity', prefix, signedPrefix }) as const;
    // A host prefix does not match the same host with a port (upstream: "require an exact match of the domain").
    expect(identityMatches(remap('mirror.example', 'vendor.example'), ref('mirror.example:5000/app:1'), ref('vendor.example:5000/app:1'))).toBe(false);
    expect(identityMatches(remap('mirror.example:5000', 'vendor.example'), ref('mirror.example:5000/app:1'), ref('vendor.example/app:1'))).toBe(true);
    // Not a string prefix: example.com/foo does not match example.com/foobar.
    expect(identityMatches(remap('mirror.example/foo', 'vendor.example/foo'), ref('mirror.example/foobar:1'), ref('vendor.example/foobar:1'))).toBe(false);
    expect(identityMatches(remap('mirror.example/foo', 'vendor.example/bar'), ref('mirror.example/foo:1'), ref('vendor.example/bar:1'))).toBe(true);
    expect(identityMatches(remap('mirror.example/foo', 'vendor.example/bar'), ref('mirror.example/foo/x@sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55'), ref('vendor.example/bar/x:any'))).toBe(true);
  });

  it('a remapIdentity prefix with a tag or digest is refused, as containers/image refuses it', () => {
    const doc = (prefix: string) => ({ default: [signedBy({ type: 'remapIdentity', prefix, signedPrefix: 'docker.io' })] });
    expect(() => parseContainersPolicy(new TextEncoder().encode(JSON.stringify(doc('mirror.example/testing/manifest:latest'))), 'p.json')).toThrow(/prefix must be a registry/);
    expect(() => parseContainersPolicy(new TextEncoder().encode(JSON.stringify(doc('mirror.example/testing/manifest'))), 'p.json')).not.toThrow();
  });
});

describe('unimplemented requirements apply only in their own scope', () => {
  const mixed = () => policyFile({
    default: [{ type: 'reject' }],
    transports: {
      docker: {
        'docker.io/testing/manifest': [signedBy({ type: 'matchRepository' })],
        'example.com/hardened': [{ type: 'signedBaseLayer', baseLayerIdentity: { type: 'exactRepository', dockerRepository: 'registry.access.redhat.com/rhel7/rhel' } }],
        'example.com/x509': [{ type: 'signedBy', keyType: 'X509Certificates', keyPath: '/keys/cert', signedIdentity: { type: 'matchRepository' } }],
        'example.com/ca': [{ type: 'signedBy', keyType: 'signedByX509CAs', keyData: 'bm9uc2Vuc2U=' }],
        'example.com/gpg-ca': [{ type: 'signedBy', keyType: 'signedByGPGKeys', keyPaths: ['/keys/a', '/keys/b'] }],
        'example.com/fulcio': [{ type: 'sigstoreSigned', fulcio: { caPath: '/ca.pem', oidcIssuer: 'https://issuer', subjectEmail: 'a@b' }, rekorPublicKeyDatas: ['bm9uc2Vuc2U='] }],
      },
      atomic: { 'registry.example/ns': [{ type: 'signedBy', keyType: 'signedByGPGKeys', keyData: 'UkhhdG9taWM=', signedIdentity: { type: 'matchRepository' } }] },
    },
  });
  const manifest = join(CI, 'dir-img-valid/manifest.json');
  const sig = join(CI, 'dir-img-valid/signature-1');

  it('a scope that uses only implemented requirements works', async () => {
    expect(await exitOf('gpg', manifest, sig, 'testing/manifest:latest', mixed())).toMatchObject({ code: 0 });
  });

  it.each([
    ['example.com/hardened/app:1', /requires signedBaseLayer: airsign does not implement it/],
    ['example.com/x509/app:1', /requires signedBy with keyType X509Certificates/],
    ['example.com/ca/app:1', /requires signedBy with keyType signedByX509CAs/],
    ['example.com/gpg-ca/app:1', /requires signedBy with keyType signedByGPGKeys/],
    ['example.com/fulcio/app:1', /requires sigstoreSigned with fulcio certificates/],
  ])('the scope in use for %s rejects, naming the requirement', async (identity, message) => {
    const r = await exitOf('gpg', manifest, sig, identity, mixed());
    expect(r.code).toBe(1);
    expect(r.says).toMatch(message);
  });

  it('containers/image fixtures/policy.json is read; its scopes apply one by one', async () => {
    const p = join(CI, 'policy.json');
    expect(await exitOf('gpg', manifest, sig, 'example.com/playground/app:1', p)).toMatchObject({ code: 0 });
    expect(await exitOf('gpg', manifest, sig, 'example.com/hardened-x509/app:1', p)).toMatchObject({ code: 1, says: expect.stringMatching(/X509Certificates/) });
    expect(await exitOf('gpg', manifest, sig, 'other.example/app:1', p)).toMatchObject({ code: 1, says: expect.stringMatching(/^reject/) });
  });
});

describe('scopes each transport accepts (its ValidatePolicyConfigurationScope), although only docker is used', () => {
  const reject = [{ type: 'reject' }];
  const withScope = (transport: string, scope: string) => policyFile({ default: reject, transports: { [transport]: { [scope]: reject } } });
  const parses = (transport: string, scope: string) => {
    const path = withScope(transport, scope);
    try {
      parseContainersPolicy(readFileSync(path), path);
      return 'ok';
    } catch (e) {
      if (isAirsignError(e) && e.code === 'POLICY_INVALID') return e.message;
      throw e;
    }
  };
  const id = 'a'.repeat(64);
  const digest = `sha256:${'b'.repeat(64)}`;
  it.each([
    ['docker', 'docker.io/library/busybox'], ['docker', 'anything at all: docker checks nothing'],
    ['dir', '/var/lib/images/app'], ['sif', '/srv/app.sif'], ['oci', '/srv/layouts/app'], ['oci-archive', '/srv/app.tar'],
    ['docker-daemon', 'docker.io/library/busybox:latest'], ['atomic', 'registry.example/ns/stream:tag'],
    ['containers-storage', '[overlay@/var/lib/containers/storage]'], ['containers-storage', '[/var/lib/containers/storage]docker.io/library/busybox'],
    ['containers-storage', `[overlay@/var/lib/containers/storage]busybox@${id}`], ['containers-storage', `[/s]busybox@${digest}@${id}`],
    ['ostree', 'relative is fine for a stub'], ['made-up-transport', 'relative is fine where the transport is unknown'],
    ['docker-archive', ''], ['tarball', ''], ['dir', ''],
  ])('%s accepts %j', (transport, scope) => {
    expect(parses(transport, scope)).toBe('ok');
  });
  it.each([
    ['dir', 'docker.io/library/busybox', /must be an absolute path/], ['dir', '/', /default scope ""/], ['dir', '/srv/app/', /non-canonical path, perhaps \/srv\/app$/],
    ['sif', '/srv/../app.sif', /perhaps \/app.sif/], ['oci', 'layouts/app', /absolute/], ['oci-archive', '/srv//app.tar', /perhaps \/srv\/app.tar/],
    ['docker-archive', '/srv/app.tar', /does not support any scopes/], ['tarball', '/srv/app.tar', /does not support any scopes/],
    ['docker-daemon', digest, /algo:digest/], ['atomic', 'registry.example/ns/stream/extra', /invalid scope name/],
    ['containers-storage', 'docker.io/library/busybox', /containers-storage/], ['containers-storage', '[relative/root]busybox', /absolute/],
    ['containers-storage', '[@/root]busybox', /containers-storage/], ['containers-storage', '[/s]busybox@not-an-id', /neither a digest nor an image ID/],
    ['containers-storage', `[/s]busybox@${id}@${id}`, /name@digest@ID/],
  ])('%s refuses %j: the whole policy is invalid', (transport, scope, message) => {
    expect(parses(transport, scope)).toMatch(message);
  });
});

describe('sigstoreSigned keyDatas and rekorPublicKeyDatas', () => {
  const b64 = (name: string) => readFileSync(join(SS, name)).toString('base64');
  it('keyDatas: any of the keys; rekorPublicKeyDatas: the Rekor key', async () => {
    const manifest = join(SS, 'dir-img-cosign-key-rekor-valid/manifest.json');
    const sig = join(SS, 'dir-img-cosign-key-rekor-valid/signature-1');
    const p = (rekor: string) => policyFile({ default: [{ type: 'sigstoreSigned', keyDatas: [b64('cosign2.pub'), b64('cosign.pub')], rekorPublicKeyDatas: [b64(rekor)], signedIdentity: { type: 'matchRepository' } }] });
    expect(await exitOf('cosign', manifest, sig, '192.168.64.2:5000/cosign-signed/key-1', p('rekor.pub'))).toMatchObject({ code: 0 });
    expect(await exitOf('cosign', manifest, sig, '192.168.64.2:5000/cosign-signed/key-1', p('cosign.pub'))).toMatchObject({ code: 1 });
  });
});

describe('policy files containers/image refuses are refused (policy_config_test.go)', () => {
  const valid = {
    default: [{ type: 'signedBy', keyType: 'GPGKeys', keyData: 'YWJj' }],
    transports: {
      docker: {
        'docker.io/library/busybox': [{ type: 'signedBy', keyType: 'GPGKeys', keyData: 'ZGVm' }],
        'registry.access.redhat.com': [{ type: 'signedBy', keyType: 'signedByGPGKeys', keyData: 'Ukg=', signedIdentity: { type: 'matchRepository' } }],
      },
      atomic: { 'registry.access.redhat.com/rhel7': [{ type: 'signedBy', keyType: 'signedByGPGKeys', keyData: 'UkhhdG9taWM=', signedIdentity: { type: 'matchRepository' } }] },
      unknown: { 'registry.access.redhat.com/rhel7': [{ type: 'signedBy', keyType: 'signedByGPGKeys', keyData: 'UkhhdG9taWM=', signedIdentity: { type: 'matchRepository' } }] },
    },
  };
  const parse = (doc: unknown) => parseContainersPolicy(new TextEncoder().encode(typeof doc === 'string' ? doc : JSON.stringify(doc)), 'p.json');
  const changed = (fn: (v: Record<string, unknown> & typeof valid) => void) => {
    const v = structuredClone(valid) as Record<string, unknown> & typeof valid;
    fn(v);
    return v;
  };
  const accepted: Array<[string, unknown]> = [
    ['the upstream valid policy', valid],
    ['no transports', changed((v) => delete (v as Partial<typeof valid>).transports)],
    ['empty transports', changed((v) => (v.transports = {} as typeof valid.transports))],
    ['a docker scope without the "" scope', changed((v) => (v.transports.docker = {} as typeof valid.transports.docker))],
    ['fixtures/policy.json', readFileSync(join(CI, 'policy.json'), 'utf8')],
  ];
  const refused: Array<[string, unknown]> = [
    ['"default" missing', changed((v) => delete (v as Partial<typeof valid>).default)],
    ['an extra top-level field', changed((v) => (v.unexpected = 1))],
    ['"default" not an array', changed((v) => ((v as Record<string, unknown>).default = 1))],
    ['"default" an object', changed((v) => ((v as Record<string, unknown>).default = {}))],
    ['"default" empty', changed((v) => (v.default = []))],
    ['"transports" a number', changed((v) => ((v as Record<string, unknown>).transports = 1))],
    ['"transports" an array', changed((v) => ((v as Record<string, unknown>).transports = []))],
    ['a docker scope not an array', changed((v) => ((v.transports.docker as Record<string, unknown>)['docker.io/library/busybox'] = 1))],
    ['a docker scope empty', changed((v) => (v.transports.docker['docker.io/library/busybox'] = []))],
    ['an atomic scope with an invalid requirement', changed((v) => ((v.transports.atomic as Record<string, unknown>)['registry.access.redhat.com/rhel7'] = [{ type: 'this is invalid' }]))],
    ['a requirement that is not an object', changed((v) => ((v as Record<string, unknown>).default = [1]))],
    ['an invalid keyType', changed((v) => (v.default = [{ type: 'signedBy', keyType: 'this is invalid', keyData: 'YWJj' }]))],
    ['signedBy with keyDatas', changed((v) => (v.default = [{ type: 'signedBy', keyType: 'GPGKeys', keyDatas: ['YWJj'] } as never]))],
    ['signedBy with keyPath and keyData', changed((v) => (v.default = [{ type: 'signedBy', keyType: 'GPGKeys', keyData: 'YWJj', keyPath: '/k' } as never]))],
    ['signedBy with empty keyPaths', changed((v) => (v.default = [{ type: 'signedBy', keyType: 'GPGKeys', keyPaths: [] } as never]))],
    ['signedBaseLayer without baseLayerIdentity', changed((v) => (v.default = [{ type: 'signedBaseLayer' } as never]))],
    ['sigstoreSigned with fulcio and no Rekor key', changed((v) => (v.default = [{ type: 'sigstoreSigned', fulcio: {} } as never]))],
    ['sigstoreSigned with pki and a Rekor key', changed((v) => (v.default = [{ type: 'sigstoreSigned', pki: {}, rekorPublicKeyData: 'YWJj' } as never]))],
    ['sigstoreSigned with two Rekor sources', changed((v) => (v.default = [{ type: 'sigstoreSigned', keyData: 'YWJj', rekorPublicKeyData: 'YWJj', rekorPublicKeyDatas: ['YWJj'] } as never]))],
    ['sigstoreSigned with empty keyDatas', changed((v) => (v.default = [{ type: 'sigstoreSigned', keyDatas: [] } as never]))],
    ['"default" twice', '{"default":[{"type":"reject"}],"default":[{"type":"insecureAcceptAnything"}]}'],
    ['a scope twice', '{"default":[{"type":"reject"}],"transports":{"docker":{"a.io/b":[{"type":"reject"}],"a.io/b":[{"type":"insecureAcceptAnything"}]}}}'],
  ];
  it.each(accepted)('accepts %s', (_name, doc) => {
    expect(() => parse(doc)).not.toThrow();
  });
  it.each(refused)('refuses %s', (_name, doc) => {
    expect(() => parse(doc)).toThrow(expect.objectContaining({ code: 'POLICY_INVALID' }) as Error);
  });
  it('counts', () => {
    console.log(`containers/image policy_config differential: ${accepted.length + refused.length} policy files (${accepted.length} accepted, ${refused.length} refused upstream), all must agree`);
  });
});
