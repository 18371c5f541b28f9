/**
 * Property/mutation fuzzing of the verifier's parsers for signatures and the users' policy files
 * (issue 10 item 5): OpenPGP messages, packets, keyrings and ASCII armor; the signer's own
 * OpenPGP self-check; GPG and cosign signatures over hostile simple-signing payloads (signed for
 * real, so the payload parser is reached); sigstore signature files and Rekor bundles (re-signed
 * with a test Rekor key, so the logged entry is read); docker references; Notation trust policies;
 * containers policy.json evaluation. Mutations start from real inputs the real tools made
 * (test/fixtures/containers-image, test/fixtures/sigstore, test/fixtures/notation). Every input is
 * accepted or refused with a clean AirsignError (test/helpers/fuzz.ts); a fresh seed each run,
 * FUZZ_SEED=<seed> replays one. Each property has a time budget; the afterAll line gives the counts.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deflateRawSync, deflateSync, inflateRawSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSigstoreAttachmentFile, verifyCosignAttachment } from '../../../src/formats/cosign/verify-sigstore-attachment.js';
import { parsePublicKeysPem } from '../../../src/keys/public-key-pem.js';
import { verifyRekorBundle } from '../../../src/formats/cosign/rekor-bundle.js';
import { cosignSignStatement, dssePae, sigstoreBundleJson } from '../../../src/formats/cosign/sigstore-bundle.js';
import { cosignBundleFacts, evaluateCosignBundle } from '../../../src/verify/evaluate-cosign-bundle.js';
import { normalizeIdentity, parseDockerReference, tryParseDockerReference, identityFromImageName, type DockerReference } from '../../../src/formats/docker-reference.js';
import { armor } from '../../../src/formats/openpgp/armor.js';
import { verifyOpenPgpMessage as checkOwnMessage } from '../../../src/formats/openpgp/check-own-message.js';
import { exportOpenPgpPublicKey } from '../../../src/formats/openpgp/export-public-key.js';
import { parseKeyring, type KeyringKey } from '../../../src/formats/openpgp/keyring.js';
import { dearmorIfArmored, readPackets, type Packet } from '../../../src/formats/openpgp/packet-reader.js';
import { openPgpPublicKey, type OpenPgpPublicKey } from '../../../src/formats/openpgp/public-key.js';
import { signOpenPgpMessage } from '../../../src/formats/openpgp/sign-message.js';
import { verifyOpenPgpMessage } from '../../../src/formats/openpgp/verify-message.js';
import { COSIGN_SIGNATURE_TYPE, GPG_SIGNATURE_TYPE, checkManifestDigest, parseSimpleSigningPayload } from '../../../src/formats/simple-signing/read-simple-signing-payload.js';
import type { KeyBackend } from '../../../src/key-backend.js';
import { formatVerifyReport, verifyLayout } from '../../../src/operations/verify.js';
import { describeIdentityRule, identityMatches, parseContainersPolicy, requirementsFor } from '../../../src/verify/containers-policy.js';
import { evaluateContainersPolicy } from '../../../src/verify/evaluate-containers-policy.js';
import { evaluateSimpleSigningSignature } from '../../../src/verify/evaluate-simple-signing.js';
import { parseNotationDn, parseNotationTrustPolicy, statementFor } from '../../../src/verify/notation-trust-policy.js';
import { referencesMatch } from '../../../src/verify/reference-match.js';
import { cosignSignatureFacts, gpgSignatureFacts } from '../../../src/verify/simple-signing-facts.js';
import { FuzzSuite, applyByteEdits, refusal, sometimes, byteEdits, jsonEdits, mutateJson, utf8 } from '../../helpers/fuzz.js';
import { generateFileKey } from '../../helpers/pem-test-key.js';
import { sha256Digest, sha256Hex } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const fixture = (rel: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/${rel}`, import.meta.url)));
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const NOW = new Date('2026-01-01T00:00:00Z');
const DIST = fileURLToPath(new URL('../../../dist/', import.meta.url));
/** Runs of these units (up to 4000 of them), with one of these ends, are the references that would make a backtracking parser slow. */
const RUN_UNITS = ['a-', 'a.', 'a_', 'a__', '0', 'a:', 'a/', 'a.b/', '[:', 'A-'];
const RUN_ENDS = ['', '!', '/', ':', '@', '-', 'A', ':x@sha256:0'];
/** Linear parsing needs about 2 backtracks per character on the worst run (measured: 8,000-16,000 on 8,000 characters); quadratic needs thousands. */
const BACKTRACKS_PER_CHARACTER = 4;

const suite = new FuzzSuite('hostile-signatures');
const started = Date.now();
const work = tempDir('airsign-fuzz-');
afterAll(() => {
  suite.finish(started);
});

/** Every simple-signing verdict must be well formed; JSON-serializable like --json prints it. */
function checkVerdict(verdict: { verdict: string; reason: string }): void {
  expect(['valid', 'invalid', 'skipped']).toContain(verdict.verdict);
  expect(typeof verdict.reason).toBe('string');
  JSON.stringify(verdict);
}

// ---------------------------------------------------------------------------------------------
// OpenPGP

const keyring = parseKeyring(fixture('containers-image/gpg/pubring.gpg'), 'pubring.gpg');
const GPG_MESSAGES = ['image.signature', 'subkey.signature', 'dir-img-valid.signature-1', 'expired.signature', 'subkey-revoked.signature', 'no-optional-fields.signature', 'invalid-reference.signature']
  .map((f) => fixture(`containers-image/${f}`));
const KEYRINGS = ['pubring.gpg', 'public-key.gpg', 'public-key-with-subkey.gpg', 'public-key-with-revoked-subkey.gpg'].map((f) => fixture(`containers-image/gpg/${f}`));
const KEYRING_BINARIES = KEYRINGS.map((k) => dearmorIfArmored(k, 'OPENPGP_KEYRING_INVALID', 'fixture'));
const MANIFEST = fixture('containers-image/image.manifest.json');
const TESTING_MANIFEST = parseDockerReference('testing/manifest');

/** Re-encodes one packet: new format (minimal, 5-byte, partial chunks) or old format (1/2/4 bytes, indeterminate). */
function encodePacket(p: Packet, style: number, chunkBits: number, last: boolean): Uint8Array {
  const body = p.body;
  const n = body.length;
  const be = (value: number, width: number) => Array.from({ length: width }, (_, i) => Math.floor(value / 256 ** (width - 1 - i)) & 0xff);
  const newLength = (len: number, five: boolean): number[] => {
    if (!five && len < 192) return [len];
    if (!five && len < 8384) return [((len - 192) >> 8) + 192, (len - 192) & 0xff];
    return [255, ...be(len, 4)];
  };
  switch (style % 6) {
    case 0:
      return Uint8Array.from([0xc0 | p.tag, ...newLength(n, false), ...body]);
    case 1:
      return Uint8Array.from([0xc0 | p.tag, ...newLength(n, true), ...body]);
    case 2: {
      // Partial body lengths: chunks of 2^k, then a final definite length.
      const chunk = 1 << (1 + (chunkBits % 9));
      const out: number[] = [0xc0 | p.tag];
      let at = 0;
      while (n - at > chunk) {
        out.push(224 + Math.log2(chunk), ...body.subarray(at, at + chunk));
        at += chunk;
      }
      out.push(...newLength(n - at, false), ...body.subarray(at));
      return Uint8Array.from(out);
    }
    default: {
      if (p.tag > 15) return Uint8Array.from([0xc0 | p.tag, ...newLength(n, false), ...body]);
      if (style % 6 === 5 && last) return Uint8Array.from([0x80 | (p.tag << 2) | 3, ...body]);
      const lt = style % 6 === 3 ? (n < 256 ? 0 : n < 65536 ? 1 : 2) : 2;
      return Uint8Array.from([0x80 | (p.tag << 2) | lt, ...be(n, 1 << lt), ...body]);
    }
  }
}

const concatAll = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

describe('OpenPGP', () => {
  it('signed messages: byte-mutated real signatures (binary and armored) are verified or refused cleanly', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), byteEdits, fc.boolean(), async (which, edits, armored) => {
        let bytes = applyByteEdits(GPG_MESSAGES[which % GPG_MESSAGES.length]!, edits);
        if (armored) bytes = armor('PGP MESSAGE', bytes);
        await suite.clean('openpgp-message', () => {
          const facts = gpgSignatureFacts(bytes, 'sig', keyring, NOW);
          checkVerdict(evaluateSimpleSigningSignature(facts, { manifest: MANIFEST, image: TESTING_MANIFEST, identity: { describe: 'equal', matches: (s) => referencesMatch('equal', TESTING_MANIFEST, s) } }));
        });
      }),
      suite.parameters(3000, 2000),
    );
  });

  it('packets: real messages re-framed (every length encoding, partial bodies, compression, nesting) with edited packets', async () => {
    const real = GPG_MESSAGES.map((m) => readPackets(m, 'OPENPGP_MESSAGE_MALFORMED', 'fixture'));
    // The fixtures are compressed (tag 8): frame their inner packets too.
    const inner = real.map((packets) => (packets.length === 1 && packets[0]!.tag === 8 ? readPackets(decompressForTest(packets[0]!.body), 'OPENPGP_MESSAGE_MALFORMED', 'fixture') : packets));
    const frame = fc.record({
      which: fc.nat(),
      styles: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
      chunkBits: fc.nat(),
      edit: sometimes(fc.record({ packet: fc.nat(), edits: byteEdits }), 0.5),
      reorder: fc.constantFrom('none', 'drop', 'duplicate', 'swap', 'marker'),
      at: fc.nat(),
      compress: fc.constantFrom(-1, 0, 1, 2, 3, 9),
      nest: fc.integer({ min: 0, max: 5 }),
    });
    await fc.assert(
      fc.asyncProperty(frame, async (f) => {
        let packets = inner[f.which % inner.length]!.map((p) => ({ ...p }));
        if (f.edit) {
          const i = f.edit.packet % packets.length;
          packets[i] = { tag: packets[i]!.tag, body: applyByteEdits(packets[i]!.body, f.edit.edits) };
        }
        const i = f.at % packets.length;
        if (f.reorder === 'drop') packets.splice(i, 1);
        else if (f.reorder === 'duplicate') packets.splice(i, 0, packets[i]!);
        else if (f.reorder === 'swap' && packets.length > 1) [packets[0], packets[packets.length - 1]] = [packets[packets.length - 1]!, packets[0]!];
        else if (f.reorder === 'marker') packets.splice(i, 0, { tag: 10, body: utf8('PGP') });
        let bytes: Uint8Array = concatAll(packets.map((p, k) => encodePacket(p, f.styles[k % f.styles.length]!, f.chunkBits, k === packets.length - 1)));
        for (let level = 0; level < (f.compress < 0 ? 0 : f.nest + 1); level++) {
          const algorithm = f.compress;
          const data = algorithm === 1 ? deflateRawSync(bytes) : algorithm === 2 ? deflateSync(bytes) : bytes;
          packets = [{ tag: 8, body: concatAll([Uint8Array.of(algorithm), data]) }];
          bytes = encodePacket(packets[0]!, f.styles[0]!, f.chunkBits, true);
        }
        await suite.clean('openpgp-packets', () => gpgSignatureFacts(bytes, 'sig', keyring, NOW));
      }),
      suite.parameters(2000, 2000),
    );
  });

  it('keyrings: byte-mutated real keyrings, binary and armored, parse or are refused, and still check a real signature cleanly', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), byteEdits, fc.constantFrom('file', 'binary', 'armor-then-edit', 'edit-then-armor'), async (which, edits, form) => {
        // pubring.gpg is binary; the other fixtures are gpg's ASCII armor.
        const original = KEYRINGS[which % KEYRINGS.length]!;
        const binary = KEYRING_BINARIES[which % KEYRINGS.length]!;
        const bytes = form === 'file' ? applyByteEdits(original, edits)
          : form === 'binary' ? applyByteEdits(binary, edits)
            : form === 'armor-then-edit' ? applyByteEdits(armor('PGP PUBLIC KEY BLOCK', binary), edits)
              : armor('PGP PUBLIC KEY BLOCK', applyByteEdits(binary, edits));
        let parsed: KeyringKey[] | undefined;
        await suite.clean('openpgp-keyring', () => {
          parsed = parseKeyring(bytes, 'keyring');
        });
        if (parsed) {
          const keys = parsed;
          await suite.clean('openpgp-keyring-use', () => gpgSignatureFacts(GPG_MESSAGES[which % GPG_MESSAGES.length]!, 'sig', keys, NOW));
        }
      }),
      suite.parameters(1200, 1500),
    );
  });

  it('armor: hostile ASCII armor text around real packets is decoded or refused cleanly', async () => {
    // gpg's own armor (public-key.gpg); parsed unchanged it gives one key.
    const armored = text(KEYRINGS[1]!);
    expect(parseKeyring(KEYRINGS[1]!, 'public-key.gpg')).toHaveLength(1);
    const pieces = ['-----BEGIN PGP PUBLIC KEY BLOCK-----', '-----END PGP PUBLIC KEY BLOCK-----', '-----BEGIN PGP MESSAGE-----', '\n', '\r\n', '\n\n', 'Version: x\n', '=AAAA', '====', '-', ' ', '\u0000', 'é'];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(), fc.constantFrom(...pieces), fc.boolean()), { minLength: 1, maxLength: 4 }), async (edits) => {
        let t = armored;
        for (const [at, piece, replace] of edits) {
          const k = at % (t.length + 1);
          t = t.slice(0, k) + piece + t.slice(replace ? k + piece.length : k);
        }
        await suite.clean('openpgp-armor', () => parseKeyring(utf8(t), 'keyring'));
      }),
      suite.parameters(1000, 600),
    );
  });

  it('the signer\'s self-check refuses every mutation of a message it just made, cleanly', async () => {
    const keys: Array<{ backend: KeyBackend; publicKey: OpenPgpPublicKey; spki: Uint8Array; message: Uint8Array }> = [];
    for (const type of ['ecdsa-p256', 'rsa-2048', 'ed25519'] as const) {
      const backend = await generateFileKey(work, `self-check-${type}`, type);
      const payload = utf8('{"critical":{}}');
      keys.push({ backend, publicKey: await openPgpPublicKey(backend), spki: await backend.publicKeySpki(), message: await signOpenPgpMessage(backend, payload, { timestamp: 1_700_000_000 }) });
    }
    for (const k of keys) expect(text(checkOwnMessage(k.message, k.publicKey, k.spki))).toBe('{"critical":{}}');
    await fc.assert(
      fc.asyncProperty(fc.nat(), byteEdits, async (which, edits) => {
        const k = keys[which % keys.length]!;
        const bytes = applyByteEdits(k.message, edits);
        const outcome = await suite.clean('openpgp-self-check', () => checkOwnMessage(bytes, k.publicKey, k.spki));
        // A change that is not in the signed data or the signature may pass (e.g. the one-pass packet's key ID).
        if (outcome === 'ok') expect(Buffer.from(checkOwnMessage(bytes, k.publicKey, k.spki)).toString()).toBe('{"critical":{}}');
      }),
      suite.parameters(1500, 1200),
    );
  });
});

function decompressForTest(body: Uint8Array): Uint8Array {
  const data = body.subarray(1);
  return new Uint8Array(body[0] === 1 ? inflateRawSync(data) : body[0] === 2 ? inflateSync(data) : data);
}

// ---------------------------------------------------------------------------------------------
// Simple-signing payloads, signed for real

const GPG_PAYLOAD = JSON.parse(text(verifyOpenPgpMessage(fixture('containers-image/image.signature'), keyring, { now: NOW }).content)) as unknown;
const COSIGN_FILE = fixture('sigstore/dir-img-cosign-valid/signature-1');
const COSIGN_PAYLOAD = JSON.parse(text(parseSigstoreAttachmentFile(COSIGN_FILE).payload)) as unknown;
const COSIGN_MANIFEST = fixture('sigstore/dir-img-cosign-valid/manifest.json');

describe('simple signing', () => {
  let gpgKey: KeyBackend;
  let gpgKeyring: KeyringKey[];
  let cosignKey: { privateKey: KeyObject; publicKey: KeyObject };
  beforeAll(async () => {
    gpgKey = await generateFileKey(work, 'gpg', 'ecdsa-p256');
    gpgKeyring = parseKeyring(await exportOpenPgpPublicKey(gpgKey, { userId: 'Fuzz <fuzz@example.com>' }), 'fuzz key');
    cosignKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  });

  it('payload parser and manifest digest: structurally and byte-mutated payloads and manifests', async () => {
    const schema1 = fixture('containers-image/v2s1-invalid-signatures.manifest.json');
    const schema1Doc = JSON.parse(text(schema1)) as unknown;
    const seeds = [GPG_PAYLOAD, COSIGN_PAYLOAD];
    await fc.assert(
      fc.asyncProperty(fc.nat(), jsonEdits, byteEdits, fc.boolean(), async (which, edits, bytesEdits, raw) => {
        const payload = raw ? applyByteEdits(utf8(JSON.stringify(seeds[which % 2])), bytesEdits) : utf8(mutateJson(seeds[which % 2], edits));
        await suite.clean('simple-signing', () => parseSimpleSigningPayload(payload, which % 2 === 0 ? GPG_SIGNATURE_TYPE : COSIGN_SIGNATURE_TYPE));
        const manifest = raw ? applyByteEdits(schema1, bytesEdits) : utf8(mutateJson(schema1Doc, edits));
        await suite.clean('manifest-digest', () => checkManifestDigest(manifest, 'sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55'));
      }),
      suite.parameters(3000, 1500),
    );
  });

  it('GPG: hostile payloads in good signatures go through the whole evaluation cleanly', async () => {
    const image = parseDockerReference('testing/manifest:latest');
    await fc.assert(
      fc.asyncProperty(jsonEdits, async (edits) => {
        const message = await signOpenPgpMessage(gpgKey, utf8(mutateJson(GPG_PAYLOAD, edits)), { timestamp: 1_700_000_000 });
        await suite.clean('gpg-signed-payload', () => {
          const facts = gpgSignatureFacts(message, 'sig', gpgKeyring, NOW);
          expect(facts.verified, facts.integrityFailure).toBeDefined();
          checkVerdict(evaluateSimpleSigningSignature(facts, { manifest: MANIFEST, image, identity: { describe: 'matchRepository', matches: (s) => referencesMatch('matchRepository', image, s) } }));
        });
      }),
      suite.parameters(800, 1500),
    );
  });

  it('cosign: hostile payloads in good signatures, and hostile sigstore signature files, are evaluated or refused cleanly', async () => {
    const image = parseDockerReference('192.168.64.2:5000/cosign-signed-single-sample');
    const prefix = '\x00sigstore-json\n';
    const fileDoc = JSON.parse(text(COSIGN_FILE).slice(prefix.length)) as Record<string, unknown>;
    await fc.assert(
      fc.asyncProperty(jsonEdits, sometimes(jsonEdits, 0.25), sometimes(byteEdits, 0.15), async (payloadEdits, fileEdits, bytesEdits) => {
        const payload = utf8(mutateJson(COSIGN_PAYLOAD, payloadEdits));
        const signature = cryptoSign('sha256', payload, cosignKey.privateKey).toString('base64');
        const doc = { ...fileDoc, payload: Buffer.from(payload).toString('base64'), annotations: { ...(fileDoc.annotations as object), 'dev.cosignproject.cosign/signature': signature } };
        let file = utf8(prefix + (fileEdits ? mutateJson(doc, fileEdits) : JSON.stringify(doc)));
        if (bytesEdits) file = applyByteEdits(file, bytesEdits);
        await suite.clean('cosign-signed-payload', () => {
          const facts = cosignSignatureFacts(file, 'sig', [cosignKey.publicKey], ['fuzz.pub']);
          checkVerdict(evaluateSimpleSigningSignature(facts, { manifest: COSIGN_MANIFEST, image, identity: { describe: 'matchRepoDigestOrExact', matches: (s) => referencesMatch('matchRepoDigestOrExact', image, s) } }));
        });
      }),
      suite.parameters(1500, 1500),
    );
  });

  it('cosign v3 bundles: hostile in-toto statements in good DSSE signatures, and mutated bundles, are evaluated or refused cleanly', async () => {
    const spki = new Uint8Array(cosignKey.publicKey.export({ format: 'der', type: 'spki' }));
    const targetDigest = sha256Digest(COSIGN_MANIFEST);
    const statement = JSON.parse(text(cosignSignStatement(targetDigest, { fuzz: 'yes' }))) as unknown;
    const bundleOf = (payload: Uint8Array) => sigstoreBundleJson({ spki, payload, signature: new Uint8Array(cryptoSign('sha256', dssePae('application/vnd.in-toto+json', payload), cosignKey.privateKey)) });
    // Unmutated, the bundle is a valid signature of the manifest.
    expect(evaluateCosignBundle(cosignBundleFacts(bundleOf(utf8(JSON.stringify(statement))), 'sha256:sig', [cosignKey.publicKey], ['fuzz.pub']), { targetDigest }).verdict).toBe('valid');
    await fc.assert(
      fc.asyncProperty(sometimes(jsonEdits, 0.75), sometimes(jsonEdits, 0.25), sometimes(byteEdits, 0.15), async (statementEdits, bundleEdits, bytesEdits) => {
        let bundle = bundleOf(utf8(statementEdits ? mutateJson(statement, statementEdits) : JSON.stringify(statement)));
        if (bundleEdits) bundle = utf8(mutateJson(JSON.parse(text(bundle)), bundleEdits));
        if (bytesEdits) bundle = applyByteEdits(bundle, bytesEdits);
        await suite.clean('cosign-bundle', () => {
          const verdict = evaluateCosignBundle(cosignBundleFacts(bundle, 'sha256:sig', [cosignKey.publicKey], ['fuzz.pub']), { targetDigest, identity: 'registry.example/app' });
          checkVerdict(verdict);
        });
      }),
      suite.parameters(1500, 1500),
    );
  });

  it('fuzz finding, kept as a fixed case: a bundle statement subject digest that is an object with a "toString" key is a failed digest check, not a crash (exit 70)', () => {
    // Shrunk counterexample (seed 1361780697): subject[0].digest.sha256 = {"toString":1,"valueOf":null}.
    const statement = utf8('{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":{"toString":1,"valueOf":null}}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}');
    const verdict = evaluateCosignBundle({ signature: 'sha256:sig', verified: { signer: 'fuzz.pub', statement, tlogEntries: 0, timestamps: 0 } }, { targetDigest: `sha256:${'b'.repeat(64)}` });
    expect(verdict.verdict).toBe('invalid');
    expect(verdict.reason).toContain('sha256:{"toString":1,"valueOf":null}');
  });

  it('cosign .sig manifests in layouts: structurally mutated signature manifests through the whole verify operation (--key, and --policy with a Rekor key)', async () => {
    const fixtureDir = (name: string) => new URL(`../../fixtures/sigstore/${name}/`, import.meta.url);
    const dir = join(work, 'cosign-layout');
    mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    const put = (bytes: Uint8Array) => {
      const hex = sha256Hex(bytes);
      writeFileSync(join(dir, 'blobs', 'sha256', hex), bytes);
      return { digest: `sha256:${hex}`, size: bytes.length };
    };
    const seeds = ['dir-img-cosign-valid', 'dir-img-cosign-key-rekor-valid'].map((name) => {
      const manifestBytes = new Uint8Array(readFileSync(new URL('manifest.json', fixtureDir(name))));
      const file = new Uint8Array(readFileSync(new URL('signature-1', fixtureDir(name))));
      const doc = JSON.parse(text(file).slice('\x00sigstore-json\n'.length)) as { mimeType: string; payload: string; annotations: Record<string, string> };
      const layer = { mediaType: doc.mimeType, ...put(new Uint8Array(Buffer.from(doc.payload, 'base64'))), annotations: doc.annotations };
      const config = put(utf8('{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]},"config":{}}'));
      const sigManifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [layer] };
      const payload = new Uint8Array(Buffer.from(doc.payload, 'base64'));
      const identity = (JSON.parse(text(payload)) as { critical: { identity: { 'docker-reference': string } } }).critical.identity['docker-reference'];
      return { manifestBytes, mediaType: (JSON.parse(text(manifestBytes)) as { mediaType: string }).mediaType, sigManifest, payload, identity };
    });
    const keys = [new URL('../../fixtures/sigstore/cosign.pub', import.meta.url).pathname, new URL('../../fixtures/sigstore/cosign2.pub', import.meta.url).pathname];
    const policy = join(work, 'cosign-policy.json');
    writeFileSync(policy, JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: { '192.168.64.2:5000': [{ type: 'sigstoreSigned', keyPaths: keys, rekorPublicKeyPath: new URL('../../fixtures/sigstore/rekor.pub', import.meta.url).pathname, signedIdentity: { type: 'matchRepository' } }] } } }));
    const layoutWith = (seed: (typeof seeds)[number], sigManifestText: string, payload: Uint8Array | undefined) => {
      const manifest = put(seed.manifestBytes);
      let sigText = sigManifestText;
      if (payload !== undefined) {
        // A changed payload blob, with its descriptor in the signature manifest updated (the signature no longer covers it).
        const changed = put(payload);
        sigText = sigText.replace(/"digest":"sha256:[0-9a-f]{64}","size":\d+,"annotations"/, `"digest":"${changed.digest}","size":${changed.size},"annotations"`);
      }
      const sig = put(utf8(sigText));
      writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [
        { mediaType: seed.mediaType, ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'latest' } },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...sig, annotations: { 'org.opencontainers.image.ref.name': `sha256-${manifest.digest.slice(7)}.sig` } },
      ] }));
    };
    const options = (withPolicy: boolean) => (withPolicy ? { policy } : { keys });
    // Unmutated, both signatures are valid (with --key; the Rekor one also under the policy).
    for (const seed of seeds) {
      layoutWith(seed, JSON.stringify(seed.sigManifest), undefined);
      const base = await verifyLayout(dir, { reference: 'latest', formats: ['cosign'], identity: seed.identity, keys });
      // The fixtures hold no image config or layers: the image is incomplete (listed as failures), every requirement holds.
      expect(base.requirements.every((r) => r.satisfied), JSON.stringify(base)).toBe(true);
      expect(base.integrity.failures.every((f) => / of the verified image is not in the layout/.test(f.reason)), JSON.stringify(base.integrity)).toBe(true);
    }
    expect((await verifyLayout(dir, { reference: 'latest', formats: ['cosign'], identity: seeds[1]!.identity, policy })).requirements.every((r) => r.satisfied)).toBe(true);
    await fc.assert(
      fc.asyncProperty(fc.nat(), jsonEdits, sometimes(jsonEdits, 0.3), fc.boolean(), async (which, manifestEdits, payloadEdits, withPolicy) => {
        const seed = seeds[which % seeds.length]!;
        layoutWith(seed, mutateJson(seed.sigManifest, manifestEdits), payloadEdits ? utf8(mutateJson(JSON.parse(text(seed.payload)), payloadEdits)) : undefined);
        await suite.clean('cosign-layout', async () => {
          const report = await verifyLayout(dir, { reference: 'latest', formats: ['cosign'], identity: seed.identity, ...options(withPolicy) });
          JSON.stringify(report);
          formatVerifyReport(report);
        });
      }),
      suite.parameters(400, 2000),
    );
  });

  it('sigstore signature files from cosign, byte-mutated, with their Rekor bundle', async () => {
    const keys = parsePublicKeysPem(text(fixture('sigstore/cosign2.pub')), 'cosign2.pub');
    const rekor = parsePublicKeysPem(text(fixture('sigstore/rekor.pub')), 'rekor.pub');
    const files = ['dir-img-cosign-key-rekor-valid/signature-1', 'dir-img-cosign-valid/signature-1', 'dir-img-cosign-other-attachment/signature-1', 'unknown-cosign-key.signature'].map((f) => fixture(`sigstore/${f}`));
    await fc.assert(
      fc.asyncProperty(fc.nat(), byteEdits, async (which, edits) => {
        const bytes = applyByteEdits(files[which % files.length]!, edits);
        await suite.clean('cosign-file', () => {
          const attachment = parseSigstoreAttachmentFile(bytes);
          const verified = verifyCosignAttachment(attachment, keys);
          verifyRekorBundle(attachment.annotations['dev.sigstore.cosign/bundle'], rekor, {
            payload: verified.payload,
            signatureBase64: attachment.annotations['dev.cosignproject.cosign/signature'] ?? '',
            publicKey: keys[0]!,
          });
        });
      }),
      suite.parameters(2000, 1000),
    );
  });

  it('Rekor bundles: hostile logged entries and bundle fields, signed by a trusted (test) Rekor key, are checked or refused cleanly', async () => {
    const rekorKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const logID = sha256Hex(rekorKey.publicKey.export({ format: 'der', type: 'spki' }));
    const payload = utf8(JSON.stringify(COSIGN_PAYLOAD));
    const signatureBase64 = cryptoSign('sha256', payload, cosignKey.privateKey).toString('base64');
    const pem = cosignKey.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const entry = {
      apiVersion: '0.0.1', kind: 'hashedrekord',
      spec: { data: { hash: { algorithm: 'sha256', value: sha256Hex(payload) } }, signature: { content: signatureBase64, publicKey: { content: Buffer.from(pem).toString('base64') } } },
    };
    const subject = { payload, signatureBase64, publicKey: cosignKey.publicKey };
    const bundleOf = (entryText: string, fieldEdits: Parameters<typeof mutateJson>[1] | undefined): string => {
      const fields = { body: Buffer.from(entryText).toString('base64'), integratedTime: 1_700_000_000, logID, logIndex: 42 };
      const fieldsText = fieldEdits ? mutateJson(fields, fieldEdits) : JSON.stringify(fields);
      let set = 'AAAA';
      try {
        const p = JSON.parse(fieldsText) as Record<string, unknown>;
        const canonical = `{"body":${JSON.stringify(p.body)},"integratedTime":${String(p.integratedTime)},"logID":${JSON.stringify(p.logID)},"logIndex":${String(p.logIndex)}}`;
        set = cryptoSign('sha256', Buffer.from(canonical), rekorKey.privateKey).toString('base64');
      } catch {
        // not JSON any more: any SignedEntryTimestamp will do
      }
      return `{"SignedEntryTimestamp":${JSON.stringify(set)},"Payload":${fieldsText}}`;
    };
    // The unmutated bundle is good: the property starts from a valid input.
    expect(verifyRekorBundle(bundleOf(JSON.stringify(entry), undefined), [rekorKey.publicKey], subject)).toBe(1_700_000_000);
    await fc.assert(
      fc.asyncProperty(sometimes(jsonEdits, 0.5), sometimes(jsonEdits, 0.3), sometimes(jsonEdits, 0.2), async (entryEdits, fieldEdits, outerEdits) => {
        let bundle = bundleOf(entryEdits ? mutateJson(entry, entryEdits) : JSON.stringify(entry), fieldEdits);
        if (outerEdits) {
          try {
            bundle = mutateJson(JSON.parse(bundle), outerEdits);
          } catch {
            // keep the unparsable text as it is
          }
        }
        await suite.clean('rekor-bundle', () => verifyRekorBundle(bundle, [rekorKey.publicKey], subject));
      }),
      suite.parameters(1500, 1500),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Docker references

/**
 * Parses each input in a child Node whose regexps fall back to V8's linear-time engine after `limit`
 * backtracks, then runs a known exponential pattern (the control); returns, per fallback V8
 * reported, the input that caused it (its first characters) or 'control'.
 */
function regexpFallbacks(inputs: string[], limit: number): string[] {
  const module = (path: string) => JSON.stringify(pathToFileURL(join(DIST, path)).href);
  const script = [
    "import { readFileSync } from 'node:fs';",
    `import { normalizeIdentity, tryParseDockerReference, identityFromImageName } from ${module('formats/docker-reference.js')};`,
    `import { referencesMatch } from ${module('verify/reference-match.js')};`,
    "const inputs = JSON.parse(readFileSync(0, 'utf8'));",
    "const plain = tryParseDockerReference('registry.example/team/app:1');",
    'inputs.forEach((input, i) => {',
    "  console.log('input ' + i);",
    '  const ref = tryParseDockerReference(input);',
    '  try { normalizeIdentity(input); } catch {}',
    '  try { identityFromImageName(input); } catch {}',
    `  if (ref) for (const rule of ${JSON.stringify(['equal', 'matchExact', 'matchRepoDigestOrExact', 'matchRepository'])}) referencesMatch(rule, ref, plain), referencesMatch(rule, plain, ref);`,
    '});',
    "console.log('control');",
    "/^(a+)+$/.test('a'.repeat(40) + '!');",
    "console.log('end');",
  ].join('\n');
  // The timeout only stops a hang (a pattern V8 cannot rerun linearly): these parses take milliseconds.
  const r = spawnSync(process.execPath, ['--enable-experimental-regexp-engine-on-excessive-backtracks', `--regexp-backtracks-before-fallback=${limit}`,
    '--trace-experimental-regexp-engine', '--input-type=module', '-e', script], { input: JSON.stringify(inputs), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 45_000 });
  expect(r.status, r.stderr || `ended by ${r.signal}`).toBe(0);
  const lines = r.stdout.split('\n');
  expect(lines).toContain('end');
  // Each fallback line follows the 'input N' (or 'control') line of the work that caused it.
  const fallbacks: string[] = [];
  let owner = '';
  for (const line of lines) {
    if (line.startsWith('input ') || line === 'control') owner = line;
    else if (line.startsWith('Experimental execution')) fallbacks.push(owner === 'control' ? 'control' : `${inputs[Number(owner.slice(6))]!.slice(0, 12)}…`);
  }
  return fallbacks;
}

describe('docker references', () => {
  it('structure-aware and random references parse or are refused cleanly, and parsing is stable', async () => {
    const component = fc.stringMatching(/^[a-z0-9]{1,8}(?:(?:[._]|__|-+)[a-z0-9]{1,8}){0,2}$/);
    const built = fc.record({
      domain: fc.constantFrom('', 'docker.io/', 'index.docker.io/', 'localhost/', 'localhost:5000/', '[::1]:5000/', '[fe80::1%eth0]/', 'Registry.Example.COM/', 'a-b.c/', '127.0.0.1:65536/', `${'x'.repeat(70)}.io/`, 'ex.com:/', '-a.io/'),
      path: fc.array(component, { minLength: 1, maxLength: 4 }),
      tag: fc.option(fc.oneof(fc.stringMatching(/^[\w][\w.-]{0,20}$/), fc.constantFrom('x'.repeat(128), 'x'.repeat(129), '-x', '.x', 'a:b')), { nil: undefined }),
      digest: fc.option(fc.constantFrom(`sha256:${'a'.repeat(64)}`, `sha256:${'a'.repeat(31)}`, `sha256:${'A'.repeat(64)}`, 'sha256:', `sha512:${'0'.repeat(128)}`, `a+b.c_d-e:${'f'.repeat(32)}`, `1sha:${'f'.repeat(32)}`), { nil: undefined }),
      edits: fc.array(fc.tuple(fc.nat(), fc.constantFrom('', '/', ':', '@', '.', '-', '_', '__', 'A', ' ', '\n', '\u0000', 'ſ', '//', '::', '@@')), { maxLength: 2 }),
    }).map(({ domain, path, tag, digest, edits }) => {
      let t = `${domain}${path.join('/')}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
      for (const [at, piece] of edits) t = t.slice(0, at % (t.length + 1)) + piece + t.slice(at % (t.length + 1));
      return t;
    });
    // Long runs that make backtracking regular expressions slow, if any are (their work is counted below).
    const pathological = fc.tuple(fc.constantFrom(...RUN_UNITS), fc.integer({ min: 1, max: 4000 }), fc.constantFrom(...RUN_ENDS))
      .map(([unit, n, end]) => unit.repeat(n) + end);
    const anyRef = fc.oneof({ weight: 4, arbitrary: built }, { weight: 1, arbitrary: pathological }, { weight: 1, arbitrary: fc.string({ maxLength: 80, unit: 'binary' }) });
    const rules = ['equal', 'matchExact', 'matchRepoDigestOrExact', 'matchRepository'] as const;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(anyRef, anyRef, async (a, b) => {
        let ref: DockerReference | undefined;
        if ((await suite.clean('docker-reference', () => {
          ref = parseDockerReference(a);
        })) === 'ok') {
          accepted++;
          // The normalized text parses to itself.
          expect(parseDockerReference(ref!.text).text).toBe(ref!.text);
        }
        await suite.clean('docker-reference', () => normalizeIdentity(a));
        identityFromImageName(a);
        const other = tryParseDockerReference(b);
        if (ref && other) for (const rule of rules) referencesMatch(rule, ref, other);
      }),
      suite.parameters(4000, 2000),
    );
    expect(accepted).toBeGreaterThan(0);
  });

  it('the longest pathological runs cost the parser a bounded number of regexp backtracks (counted by V8, not timed)', () => {
    // V8 counts the backtracks of each regexp execution; past --regexp-backtracks-before-fallback it
    // reruns that execution on its linear-time engine, and --trace-experimental-regexp-engine prints
    // a line when it does. So a child that parses every run with the limit set to a few backtracks
    // per character reports a superlinear regexp, on a loaded machine as on an idle one; a known
    // exponential pattern run last checks that this Node reports one. V8 counts only the regexps its
    // linear engine can rerun: the domain grammar and the small ones, not the whole-reference pattern
    // (its counted {0,127} and {32,} repeats); for that one, finishing at all is the check.
    const inputs = RUN_UNITS.flatMap((unit) => RUN_ENDS.map((end) => unit.repeat(4000) + end));
    const limit = BACKTRACKS_PER_CHARACTER * Math.max(...inputs.map((i) => i.length));
    expect(regexpFallbacks(inputs, limit), `regexps that backtracked more than ${limit} times (${BACKTRACKS_PER_CHARACTER} per character)`).toEqual(['control']);
  });
});

// ---------------------------------------------------------------------------------------------
// Policy files

describe('policy files', () => {
  it('Notation trust policies: structurally and byte-mutated real policies parse or are refused cleanly, and statement lookup never crashes', async () => {
    const policies = ['trustpolicy', 'valid_trusted_identity_trustpolicy', 'invalid_trusted_identity_trustpolicy', 'permissive_trustpolicy', 'audit_trustpolicy', 'skip_trustpolicy']
      .map((n) => fixture(`notation/trustpolicies/${n}.json`));
    const rich = {
      version: '1.0',
      trustPolicies: [
        { name: 'scoped', registryScopes: ['registry.example/app', 'localhost:5000/a/b'], signatureVerification: { level: 'permissive', override: { expiry: 'enforce', revocation: 'skip' }, verifyTimestamp: 'afterCertExpiry' }, trustStores: ['ca:e2e', 'tsa:tsa', 'signingAuthority:sa'], trustedIdentities: ['x509.subject: C=US, ST=WA, L=Seattle, O=Notary, CN=e2e+OU=x\\,y'] },
        { name: 'wild', registryScopes: ['*'], signatureVerification: { level: 'skip' } },
      ],
    };
    const docs = [...policies.map((p) => JSON.parse(text(p)) as unknown), rich];
    const scopes = [undefined, 'registry.example/app', 'localhost:5000/a/b', 'other.example/x', '*', ''];
    await fc.assert(
      fc.asyncProperty(fc.nat(), jsonEdits, sometimes(byteEdits, 0.25), async (which, edits, bytesEdits) => {
        let bytes = utf8(mutateJson(docs[which % docs.length], edits));
        if (bytesEdits) bytes = applyByteEdits(bytes, bytesEdits);
        await suite.clean('trust-policy', () => {
          const policy = parseNotationTrustPolicy(bytes);
          for (const scope of scopes) {
            try {
              statementFor(policy, scope);
            } catch (e) {
              refusal('trust-policy statementFor', e);
            }
          }
        });
      }),
      suite.parameters(3000, 2000),
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 60, unit: 'binary' }), fc.stringMatching(/^(?:[A-Za-z]{1,3}=[^,+]{0,5}(?:\\[,+=\\]|\\[0-9a-f]{2})?[,+] ?){0,5}$/), async (a, b) => {
        suite.counts['trusted-identity-dn'] = (suite.counts['trusted-identity-dn'] ?? 0) + 2;
        for (const dn of [a, b]) {
          try {
            parseNotationDn(dn);
          } catch (e) {
            if (!(e instanceof Error)) throw e;
          }
        }
      }),
      suite.parameters(2000, 500),
    );
  });

  it('containers policy.json: structurally mutated policies parse or are refused, and evaluate a real GPG and cosign signature cleanly', async () => {
    const gpgKeyData = Buffer.from(KEYRINGS[0]!).toString('base64');
    const cosignKeyData = Buffer.from(fixture('sigstore/cosign2.pub')).toString('base64');
    const rekorKeyData = Buffer.from(fixture('sigstore/rekor.pub')).toString('base64');
    const policyDoc = {
      default: [{ type: 'reject' }],
      transports: {
        docker: {
          'docker.io/testing/manifest': [{ type: 'signedBy', keyType: 'GPGKeys', keyData: gpgKeyData, signedIdentity: { type: 'matchRepository' } }],
          'docker.io/testing': [{ type: 'signedBy', keyType: 'GPGKeys', keyData: gpgKeyData, signedIdentity: { type: 'remapIdentity', prefix: 'docker.io/testing', signedPrefix: 'docker.io/testing' } }],
          'docker.io': [{ type: 'signedBy', keyType: 'GPGKeys', keyData: gpgKeyData, signedIdentity: { type: 'exactReference', dockerReference: 'docker.io/testing/manifest:latest' } }],
          '*.io': [{ type: 'signedBy', keyType: 'GPGKeys', keyData: gpgKeyData, signedIdentity: { type: 'exactRepository', dockerRepository: 'docker.io/testing/manifest' } }],
          '192.168.64.2:5000/cosign-signed-single-sample': [{ type: 'sigstoreSigned', keyData: cosignKeyData, rekorPublicKeyData: rekorKeyData, signedIdentity: { type: 'matchExact' } }],
          '': [{ type: 'insecureAcceptAnything' }, { type: 'sigstoreSigned', keyPath: '/nonexistent/fuzz.pub' }],
        },
      },
    };
    const images = ['docker.io/testing/manifest:latest', 'docker.io/testing/other', 'quay.io/x/y', '192.168.64.2:5000/cosign-signed-single-sample', 'localhost/z'].map(parseDockerReference);
    const gpgSig = { format: 'gpg' as const, name: 'image.signature', bytes: fixture('containers-image/image.signature') };
    const cosignSig = { format: 'cosign' as const, name: 'signature-1', bytes: fixture('sigstore/dir-img-cosign-key-rekor-valid/signature-1') };
    await fc.assert(
      fc.asyncProperty(jsonEdits, fc.nat(), async (edits, which) => {
        const bytes = utf8(mutateJson(policyDoc, edits));
        const image = images[which % images.length]!;
        await suite.clean('containers-policy', async () => {
          const policy = parseContainersPolicy(bytes, '/fuzz/policy.json');
          for (const r of requirementsFor(policy, image).requirements) {
            if ('signedIdentity' in r) {
              describeIdentityRule(r.signedIdentity);
              for (const signed of images) identityMatches(r.signedIdentity, image, signed);
            }
          }
          const manifest = image.path.includes('cosign') ? fixture('sigstore/dir-img-cosign-key-rekor-valid/manifest.json') : MANIFEST;
          const result = await evaluateContainersPolicy(policy, image, manifest, [gpgSig, cosignSig], { now: NOW });
          JSON.stringify(result);
        });
      }),
      suite.parameters(1200, 2000),
    );
  });
});
