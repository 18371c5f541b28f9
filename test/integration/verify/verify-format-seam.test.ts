/**
 * Verification behind the format seam (issue 15 item 7): a format is one module plus one registry
 * line for signing AND verifying. A test-only format (an Ed25519 signature over the subject digest,
 * in a referrer of its own artifact type) is registered in a registry of the test's; signLayout
 * writes its signature and verifyLayout finds and checks it through that registry alone, with no
 * change to src/operations/. The CLI's --format names and the verdicts' names are the registry's.
 */
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../../src/digest.js';
import { DEFAULT_VERIFICATIONS } from '../../../src/formats/default-verifications.js';
import { defaultFormatRegistry, defaultFormats } from '../../../src/formats/default-formats.js';
import { createFormatRegistry } from '../../../src/formats/registry.js';
import type { SignatureFormat } from '../../../src/formats/signature-format.js';
import type { FoundSignature } from '../../../src/formats/signature-verification.js';
import type { GraphNode } from '../../../src/layout/graph.js';
import { MediaType } from '../../../src/media-types.js';
import { signLayout } from '../../../src/operations/sign.js';
import { verifyLayout } from '../../../src/operations/verify.js';
import { verdictFromChecks } from '../../../src/verify/verdict.js';
import { runCli } from '../../helpers/cli.js';

const SAMPLE = new URL('../../../samples/single.tar', import.meta.url).pathname;
const FAKE_TYPE = 'application/vnd.airsign.test.fake-signature';

interface FoundFake extends FoundSignature {
  node: GraphNode;
}

/** A format the product does not know: signs the subject's digest text with Ed25519; verified with `keys`. */
function fakeFormat(): SignatureFormat {
  return {
    id: 'fake',
    describe: 'test only: an Ed25519 signature over the subject digest',
    check: () => Promise.resolve(),
    async sign(context) {
      const signature = await context.key.backend.sign(new TextEncoder().encode(context.subject.digest), { algorithm: 'ed25519' });
      const empty = new TextEncoder().encode('{}');
      const layer = { mediaType: 'application/octet-stream', digest: digestOf(signature), size: signature.length };
      const manifest = new TextEncoder().encode(JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        artifactType: FAKE_TYPE,
        config: { mediaType: MediaType.OciEmpty, digest: digestOf(empty), size: empty.length },
        layers: [layer],
        subject: context.subject,
      }));
      const descriptor = { mediaType: MediaType.OciManifest, digest: digestOf(manifest), size: manifest.length };
      return {
        blobs: [empty, signature, manifest],
        indexEntries: [{ ...descriptor, artifactType: FAKE_TYPE }],
        records: [{
          format: 'fake',
          signedDescriptor: context.subject,
          publicKeyFingerprint: context.key.publicKeyFingerprint,
          certificateThumbprints: [],
          signatureManifest: descriptor,
          signature: layer,
          algorithm: 'Ed25519',
          signingTime: context.signingTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          timestamped: false,
          toolVersion: context.signingAgent,
        }],
      };
    },
    verification: {
      id: 'fake',
      trustedBy: 'keys',
      noneFound: (_accepted, place) => `no fake signature refers to ${place.target.digest}`,
      find: ({ referrers }) => Promise.resolve(referrers.filter((n) => n.artifactType === FAKE_TYPE).map((node): FoundFake => ({ format: 'fake', name: node.descriptor.digest, node }))),
      load: () => Promise.resolve({
        async check(found, context) {
          const { node } = found as FoundFake;
          const manifest = JSON.parse(new TextDecoder().decode(await context.layout.readBlob(node.descriptor))) as { layers: Array<{ mediaType: string; digest: string; size: number }> };
          const signature = await context.layout.readBlob(manifest.layers[0]!);
          const message = new TextEncoder().encode(context.target.digest);
          const good = (context.trust.keys ?? []).some((k) => verify(null, message, k.key, signature));
          return verdictFromChecks({
            format: 'fake',
            signature: found.name,
            checks: [{ check: 'authenticity', result: good ? 'passed' : 'failed', ...(good ? {} : { reason: 'no given key verifies the signature' }) }],
          });
        },
      }),
    },
  };
}

let work: string;
let keyPath: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'airsign-seam-'));
  const { privateKey } = generateKeyPairSync('ed25519');
  keyPath = join(work, 'fake.key');
  writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('a format of the test\'s own, through a registry', () => {
  it('is signed by signLayout and found and checked by verifyLayout; another key fails it; an unsigned image has none', async () => {
    const registry = createFormatRegistry([...defaultFormats(), fakeFormat()]);
    const image = join(work, 'image.tar');
    copyFileSync(SAMPLE, image);
    const unsigned = join(work, 'unsigned.tar');
    copyFileSync(SAMPLE, unsigned);
    const { record } = await signLayout(image, { key: keyPath, formats: ['fake'], registry });
    expect(record.signatures.map((s) => s.format)).toEqual(['fake']);

    const publicKey = createPublicKey(readFileSync(keyPath));
    const ok = await verifyLayout(image, { registry, keys: [publicKey], formats: ['fake'] });
    expect(ok.signatures.map((s) => [s.format, s.signature, s.verdict])).toEqual([['fake', record.signatures[0]!.signatureManifest!.digest, 'valid']]);
    // --format fake, and --key (any format the keys check: cosign, cosign-bundle or fake) are both met.
    expect(ok.requirements.map((r) => [r.format, r.satisfied, r.requiredBy])).toEqual([['fake', true, '--format fake']]);
    expect(ok.verified).toBe(true);
    expect((await verifyLayout(image, { registry, keys: [publicKey] })).requirements.map((r) => [r.format, r.satisfied, r.requiredBy])).toEqual([['cosign', true, '--key']]);

    const other = createPublicKey(generateKeyPairSync('ed25519').privateKey);
    const bad = await verifyLayout(image, { registry, keys: [other], formats: ['fake'] });
    expect(bad.verified).toBe(false);
    expect(bad.signatures[0]!.reason).toBe('authenticity: no given key verifies the signature');

    const none = await verifyLayout(unsigned, { registry, keys: [publicKey], formats: ['fake'] });
    expect(none.verified).toBe(false);
    expect(none.requirements[0]!.reason).toMatch(/^no fake signature refers to sha256:/);
  });

  it('the default registry does not know it: --format fake is refused, and its signature is not checked by --key', async () => {
    const registry = createFormatRegistry([fakeFormat()]);
    const image = join(work, 'image2.tar');
    copyFileSync(SAMPLE, image);
    await signLayout(image, { key: keyPath, formats: ['fake'], registry });
    await expect(verifyLayout(image, { keys: [createPublicKey(readFileSync(keyPath))], formats: ['fake'] })).rejects.toMatchObject({ code: 'USAGE', details: { option: 'formats', value: 'fake' } });
    const report = await verifyLayout(image, { keys: [createPublicKey(readFileSync(keyPath))] });
    expect(report.signatures).toEqual([]);
    expect(report.verified).toBe(false);
  });
});

describe('formats whose trust input was not given', () => {
  it('their signatures are found and noted, not checked', async () => {
    const layout = new URL('../../fixtures/notation-layouts/e2e-valid-signature', import.meta.url).pathname;
    const report = await verifyLayout(layout, { keys: [createPublicKey(readFileSync(keyPath))] });
    expect(report.signatures).toEqual([]);
    expect(report.notes).toContain('notation signatures are present but were not checked (no trust material for them given)');
  });
});

describe('names come from the registry', () => {
  it('verify knows the formats sign offers, as the same objects, in the same order', () => {
    const registry = defaultFormatRegistry();
    expect(registry.verifications()).toEqual(DEFAULT_VERIFICATIONS);
    registry.verifications().forEach((v, i) => expect(v).toBe(DEFAULT_VERIFICATIONS[i]));
    expect(DEFAULT_VERIFICATIONS.map((v) => v.id)).toEqual(registry.ids());
  });

  it('the CLI offers the registry\'s names: verify-signature --format choices, verify --format help', () => {
    const ids = defaultFormatRegistry().ids();
    const help = runCli(['verify-signature', '--help']);
    expect(help.code).toBe(0);
    const choices = /--format[\s\S]*?\[choices: ([^\]]*)\]/.exec(help.stdout.replace(/\s+/g, ' '))![1]!;
    expect(choices.split(', ').map((c) => JSON.parse(c) as string)).toEqual(ids);
    const verifyHelp = runCli(['verify', '--help']).stdout.replace(/\s+/g, ' ');
    expect(verifyHelp).toContain(`(${ids.join(', ')}; the names sign --format writes)`);
  });
});
