/**
 * The verifier's parsers on mutated input: OpenPGP messages and keyrings, sigstore signature files,
 * simple-signing payloads, Notation trust policies and containers policies. Each mutation (byte
 * flips, truncations, insertions; a fixed seed so a failure reproduces) must end in a result or an
 * AirsignError — never another exception, which the CLI would report as an internal error (exit 70).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isAirsignError } from '../../../src/errors.js';
import { parseSigstoreAttachmentFile, verifyCosignAttachment, parsePublicKeysPem } from '../../../src/formats/cosign/verify-sigstore-attachment.js';
import { verifyRekorBundle } from '../../../src/formats/cosign/rekor-bundle.js';
import { parseKeyring } from '../../../src/formats/openpgp/keyring.js';
import { verifyOpenPgpMessage } from '../../../src/formats/openpgp/verify-message.js';
import { GPG_SIGNATURE_TYPE, checkManifestDigest, parseSimpleSigningPayload } from '../../../src/formats/simple-signing/simple-signing-payload.js';
import { parseContainersPolicy } from '../../../src/verify/containers-policy.js';
import { parseNotationTrustPolicy } from '../../../src/verify/notation-trust-policy.js';

const fixture = (p: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/${p}`, import.meta.url)));

/** xorshift32: deterministic mutations. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

function* mutations(input: Uint8Array, count: number, seed: number): Generator<Uint8Array> {
  const random = rng(seed);
  for (let i = 0; i < count; i++) {
    const bytes = Uint8Array.from(input);
    const kind = Math.floor(random() * 4);
    if (kind === 0) {
      for (let j = 0; j < 1 + Math.floor(random() * 4); j++) {
        const at = Math.floor(random() * bytes.length);
        bytes[at] = bytes[at]! ^ (1 << Math.floor(random() * 8));
      }
      yield bytes;
    } else if (kind === 1) yield bytes.subarray(0, Math.floor(random() * bytes.length));
    else if (kind === 2) {
      const at = Math.floor(random() * bytes.length);
      const junk = Uint8Array.from({ length: 1 + Math.floor(random() * 8) }, () => Math.floor(random() * 256));
      yield new Uint8Array([...bytes.subarray(0, at), ...junk, ...bytes.subarray(at)]);
    } else {
      const at = Math.floor(random() * bytes.length);
      bytes[at] = [0x00, 0xff, 0x7f, 0x80, 0x22, 0x7b, 0x5d][Math.floor(random() * 7)]!;
      yield bytes;
    }
  }
}

function onlyCleanErrors(inputs: Iterable<Uint8Array>, fn: (bytes: Uint8Array) => unknown): number {
  let n = 0;
  for (const bytes of inputs) {
    n++;
    try {
      fn(bytes);
    } catch (e) {
      if (!isAirsignError(e)) throw new Error(`mutation ${n} raised ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`, { cause: e });
    }
  }
  return n;
}

describe('hostile input: only AirsignErrors come out', () => {
  const keyring = parseKeyring(fixture('containers-image/gpg/pubring.gpg'), 'pubring');

  it('OpenPGP signed messages', () => {
    for (const file of ['image.signature', 'subkey.signature', 'dir-img-valid/signature-1']) {
      expect(onlyCleanErrors(mutations(fixture(`containers-image/${file}`), 400, 7), (b) => verifyOpenPgpMessage(b, keyring))).toBe(400);
    }
  });

  it('OpenPGP keyrings (binary and armored)', () => {
    for (const file of ['gpg/pubring.gpg', 'gpg/public-key-with-revoked-subkey.gpg']) {
      expect(onlyCleanErrors(mutations(fixture(`containers-image/${file}`), 150, 11), (b) => parseKeyring(b, 'k'))).toBe(150);
    }
  });

  it('sigstore signature files, their signature and Rekor bundle', () => {
    const keys = parsePublicKeysPem(new TextDecoder().decode(fixture('sigstore/cosign2.pub')), 'cosign2.pub');
    const rekor = parsePublicKeysPem(new TextDecoder().decode(fixture('sigstore/rekor.pub')), 'rekor.pub');
    const n = onlyCleanErrors(mutations(fixture('sigstore/dir-img-cosign-key-rekor-valid/signature-1'), 500, 13), (b) => {
      const attachment = parseSigstoreAttachmentFile(b);
      const verified = verifyCosignAttachment(attachment, keys);
      verifyRekorBundle(attachment.annotations['dev.sigstore.cosign/bundle'], rekor, {
        payload: verified.payload,
        signatureBase64: attachment.annotations['dev.cosignproject.cosign/signature'] ?? '',
        publicKey: keys[0]!,
      });
    });
    expect(n).toBe(500);
  });

  it('simple-signing payloads and manifests', () => {
    const payload = new TextEncoder().encode('{"critical":{"identity":{"docker-reference":"testing/manifest"},"image":{"docker-manifest-digest":"sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55"},"type":"atomic container signature"},"optional":{"creator":"atomic ","timestamp":1458239713}}');
    expect(onlyCleanErrors(mutations(payload, 500, 17), (b) => parseSimpleSigningPayload(b, GPG_SIGNATURE_TYPE))).toBe(500);
    const v2s1 = fixture('containers-image/v2s1-invalid-signatures.manifest.json');
    expect(onlyCleanErrors(mutations(v2s1, 300, 19), (b) => checkManifestDigest(b, 'sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55'))).toBe(300);
  });

  it('Notation trust policies and containers policies', () => {
    const policy = fixture('notation/trustpolicies/valid_trusted_identity_trustpolicy.json');
    expect(onlyCleanErrors(mutations(policy, 400, 23), (b) => parseNotationTrustPolicy(b))).toBe(400);
    const containers = new TextEncoder().encode(JSON.stringify({
      default: [{ type: 'reject' }],
      transports: { docker: { 'registry.example/app': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k.gpg', signedIdentity: { type: 'remapIdentity', prefix: 'a.io', signedPrefix: 'b.io' } }] } },
    }));
    expect(onlyCleanErrors(mutations(containers, 400, 29), (b) => parseContainersPolicy(b, 'policy.json'))).toBe(400);
  });
});
