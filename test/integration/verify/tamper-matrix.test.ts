/**
 * The tamper matrix (issue 10 item 4): for each signature format, a signed layout tarball is changed
 * every way an attacker could (a byte of a layer, the config, the image manifest, the signature
 * manifest, the envelope, the payload, the signature; another image's signature swapped in; another
 * signer identity; a blob dropped; the tag re-pointed; an untrusted certificate or key; an expired
 * certificate), and `airsign verify` run through the built CLI must reject each with the exit code
 * and reason a demanding user expects: 1 when the layout is readable but its content or signatures
 * do not hold, 2 only when the input cannot be used at all. Raw edits leave digests wrong; the
 * "re-chained" cases play the careful attacker who rewrites every descriptor up to index.json, so
 * only the signature can catch them. An untampered control per format must pass (exit 0), so the
 * matrix can fail. Also a stripped tar and a layout directory. Prints "N cases, N rejected".
 *
 * Formats: Notation JWS and COSE (trust policy + trust store), cosign `.sig` and v3 bundle (--key),
 * GPG (--keyring + --lookaside). Raw digest checks that run before any format's code are asserted
 * for the first format only. Rows that are not tampering verify can catch (a dropped layer looks
 * like a stripped tar; a digest-only signature follows its digest, not the tag) are asserted as
 * "by design" and counted apart.
 *
 * Budget: about 140 CLI runs (~110 verify, ~22 sign, 5 strip), three at a time, ~0.4 s of CPU each
 * (mostly start-up); layers of tens of KiB.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CborTag, decodeCbor, encodeCbor, type CborValue } from '../../../src/formats/cbor.js';
import { runCli, runCliAsync } from '../../helpers/cli.js';
import { createTestPki, type IssuedCert } from '../../helpers/notation-pki.js';
import { blobName, DirLayout, editIndex, editJsonBlob, flipByte, readJson, replaceBlob, TarLayout, type LayoutFiles } from '../../helpers/tamper.js';
import { LayoutBuilder } from '../layout/build-fixtures.js';
import { tempDir } from '../../helpers/temp-dir.js';

const work = tempDir('airsign-tamper-');
const started = Date.now();

const IDENTITY = 'registry.example/team/app:1.0';
const OTHER_IDENTITY = 'registry.example/team/other:2';

/** Every row's outcome, for the one-line summary. */
const rows: Array<{ format: string; name: string; expected: number; code: number; reason: string; byDesign?: string }> = [];
afterAll(() => {
  const tampered = rows.filter((r) => r.expected !== 0);
  const rejected = tampered.filter((r) => r.code === r.expected);
  const controls = rows.filter((r) => r.expected === 0 && r.byDesign === undefined);
  const byDesign = rows.filter((r) => r.byDesign !== undefined);
  console.log(`tamper matrix: ${tampered.length} cases, ${rejected.length} rejected with the expected exit code; `
    + `${controls.filter((r) => r.code === 0).length}/${controls.length} controls verified; ${byDesign.length} accepted by design; ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const r of rows) console.log(`  ${r.format.padEnd(14)} ${r.name.padEnd(62)} exit ${r.code}  ${r.reason.slice(0, 140)}`);
});

// ---------------------------------------------------------------------------------------------
// Keys, certificates and the policy files a release gate would hold

interface Keys {
  release: { key: string; chain: string };
  /** Same key, a certificate that expires seconds after it is made. */
  shortLived: { chain: string; notAfter: Date };
  /** A trusted root, another subject: fails only the trusted identity. */
  impostor: { key: string; chain: string };
  /** A root nobody trusts. */
  mallory: { key: string; chain: string };
  /** The release key's public half as cosign (PEM) and GPG (OpenPGP keyring) take it. */
  releasePublic: { pem: string; openpgp: string };
  trustPolicy: string;
  trustStore: string;
}

function openssl(args: string[], cwd?: string): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function newKey(name: string): { key: string; pub: string } {
  const key = join(work, `${name}.key`);
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  return { key, pub: openssl(['pkey', '-in', key, '-pubout']) };
}

function chainFile(name: string, leaf: IssuedCert, root: IssuedCert): string {
  const path = join(work, `${name}-chain.pem`);
  writeFileSync(path, leaf.pem + root.pem);
  return path;
}

/** `openssl ca` with explicit dates: a code-signing leaf valid from `from` to `to`. */
function issueWithDates(dir: string, key: string, subject: string, from: Date, to: Date): string {
  const ca = mkdtempSync(join(work, 'ca-'));
  writeFileSync(join(ca, 'index.txt'), '');
  writeFileSync(join(ca, 'serial'), '4000\n');
  writeFileSync(join(ca, 'ca.cnf'), [
    '[ca]', 'default_ca = short', '[short]', 'database = index.txt', 'new_certs_dir = .', 'serial = serial', 'default_md = sha256',
    'policy = any', 'unique_subject = no', '[any]', 'commonName = supplied',
    '[leaf]', 'basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=codeSigning', '',
  ].join('\n'));
  openssl(['req', '-new', '-key', key, '-subj', subject, '-out', 'leaf.csr'], ca);
  const date = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
  openssl(['ca', '-batch', '-config', 'ca.cnf', '-cert', join(dir, 'root.pem'), '-keyfile', join(dir, 'root.key'), '-in', 'leaf.csr',
    '-out', 'leaf.pem', '-startdate', date(from), '-enddate', date(to), '-extensions', 'leaf', '-notext', '-preserveDN'], ca);
  return readFileSync(join(ca, 'leaf.pem'), 'utf8');
}

function makeKeys(): Keys {
  const pki = createTestPki();
  const untrustedPki = createTestPki();
  const release = newKey('release');
  const impostor = newKey('impostor');
  const mallory = newKey('mallory');
  const releaseLeaf = pki.issue(release.pub, { name: 'release' });
  // The same subject as the release certificate, so that expiry is the only thing wrong with it.
  const now = Date.now();
  const notAfter = new Date(Math.floor(now / 1000) * 1000 + 15_000);
  const shortPem = issueWithDates(pki.dir, release.key, '/C=US/ST=WA/O=Airsign Test/CN=release', new Date(now - 60_000), notAfter);
  const shortChain = join(work, 'short-chain.pem');
  writeFileSync(shortChain, shortPem + pki.root.pem);

  const store = join(work, 'truststore');
  mkdirSync(join(store, 'x509', 'ca', 'release'), { recursive: true });
  copyFileSync(pki.root.path, join(store, 'x509', 'ca', 'release', 'root.pem'));
  const trustPolicy = join(work, 'trustpolicy.json');
  writeFileSync(trustPolicy, JSON.stringify({
    version: '1.0',
    trustPolicies: [{
      name: 'release',
      registryScopes: ['registry.example/team/app'],
      signatureVerification: { level: 'strict' },
      trustStores: ['ca:release'],
      trustedIdentities: ['x509.subject: C=US, ST=WA, O=Airsign Test, CN=release'],
    }],
  }));
  const releasePublic = { pem: join(work, 'release.pub.pem'), openpgp: join(work, 'release.pub.gpg') };
  writeFileSync(releasePublic.pem, release.pub);
  const exported = runCli(['key', 'export', release.key, '--as', 'openpgp', '--user-id', 'Release <release@example.com>', '-o', releasePublic.openpgp]);
  if (exported.code !== 0) throw new Error(`key export failed: ${exported.stderr}`);
  return {
    releasePublic,
    release: { key: release.key, chain: chainFile('release', releaseLeaf, pki.root) },
    shortLived: { chain: shortChain, notAfter },
    impostor: { key: impostor.key, chain: chainFile('impostor', pki.issue(impostor.pub, { name: 'impostor' }), pki.root) },
    mallory: { key: mallory.key, chain: chainFile('mallory', untrustedPki.issue(mallory.pub, { name: 'release' }), untrustedPki.root) },
    trustPolicy,
    trustStore: store,
  };
}

// ---------------------------------------------------------------------------------------------
// The unsigned layout: image A (tag 1.0, the one verified), B (tag 2, also signed), C (tag 6, unsigned)

interface Images {
  tar: string;
  a: string;
  b: string;
  c: string;
}

function buildImages(): Images {
  const b = new LayoutBuilder(join(work, 'layout'));
  const image = (arch: string, size: number, name: string, tag: string) => {
    const manifest = b.manifest(b.config(arch), [b.layer(size)]);
    b.addEntry({ ...manifest, annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': tag } });
    return manifest.digest;
  };
  const a = image('amd64', 60_000, IDENTITY, '1.0');
  const other = image('arm64', 20_000, OTHER_IDENTITY, '2');
  const c = image('s390x', 10_000, 'registry.example/team/evil:6', '6');
  b.writeIndex();
  return { tar: b.tar(join(work, 'unsigned.tar')), a, b: other, c };
}

// ---------------------------------------------------------------------------------------------
// Notation envelopes (JWS JSON and COSE_Sign1), decoded far enough to edit what an attacker would

interface Envelope {
  payload: Uint8Array;
  signature: Uint8Array;
  chain: Uint8Array[];
  encode(): Uint8Array;
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

function decodeEnvelope(bytes: Uint8Array): Envelope {
  if (bytes[0] === 0x7b) {
    const jws = JSON.parse(Buffer.from(bytes).toString('utf8')) as { payload: string; signature: string; header: { x5c: string[] } };
    const env: Envelope = {
      payload: Buffer.from(jws.payload, 'base64url'),
      signature: Buffer.from(jws.signature, 'base64url'),
      chain: jws.header.x5c.map((c) => Buffer.from(c, 'base64')),
      encode: () => Buffer.from(JSON.stringify({ ...jws, payload: b64url(env.payload), signature: b64url(env.signature), header: { ...jws.header, x5c: env.chain.map((c) => Buffer.from(c).toString('base64')) } })),
    };
    return env;
  }
  const tag = decodeCbor(bytes) as CborTag;
  const [protectedBytes, unprotected, payload, signature] = tag.value as [Uint8Array, Map<CborValue, CborValue>, Uint8Array, Uint8Array];
  const env: Envelope = {
    payload,
    signature,
    chain: unprotected.get(33) as Uint8Array[],
    encode: () => encodeCbor(new CborTag(tag.tag, [protectedBytes, new Map([...unprotected, [33, env.chain]]), env.payload, env.signature])),
  };
  return env;
}

interface Manifest {
  layers: Array<{ digest: string; mediaType: string }>;
  subject?: { digest: string };
}

/** Digests of the Notation signature manifests whose subject is `digest`. */
function notationSignaturesOf(files: LayoutFiles, digest: string): string[] {
  const index = readJson<{ manifests: Array<{ digest: string }> }>(files, 'index.json');
  return index.manifests.map((m) => m.digest).filter((d) => {
    if (!files.has(blobName(d))) return false;
    const m = readJson<Manifest & { config?: { mediaType: string } }>(files, blobName(d));
    return m.subject?.digest === digest && m.config?.mediaType === 'application/vnd.cncf.notary.signature';
  });
}

function oneSignature(files: LayoutFiles, digest: string): { manifest: string; envelope: string } {
  const [manifest, ...more] = notationSignaturesOf(files, digest);
  if (manifest === undefined || more.length > 0) throw new Error(`expected one Notation signature of ${digest}`);
  return { manifest, envelope: readJson<Manifest>(files, blobName(manifest)).layers[0]!.digest };
}

/** Edits the envelope of `image`'s signature and re-chains it (the careful attacker). */
function editEnvelope(files: LayoutFiles, image: string, edit: (env: Envelope) => void): void {
  const { envelope } = oneSignature(files, image);
  const env = decodeEnvelope(files.read(blobName(envelope)));
  edit(env);
  replaceBlob(files, envelope, env.encode());
}

function imageManifest(files: LayoutFiles, digest: string): { config: { digest: string }; layers: Array<{ digest: string }> } {
  return readJson(files, blobName(digest));
}

/** Moves tag `tag` (ref name and containerd image name) from its image to `digest`. */
function repointTag(files: LayoutFiles, tag: string, digest: string): void {
  editIndex(files, (index) => {
    const from = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag)!;
    const to = index.manifests.find((m) => m.digest === digest)!;
    const moved = from.annotations!;
    if (to.annotations === undefined) delete from.annotations;
    else from.annotations = to.annotations;
    to.annotations = moved;
  });
}

// ---------------------------------------------------------------------------------------------
// cosign (.sig tag and v3 bundle referrer) and GPG (lookaside) signatures, found as an attacker would

/** The `sha256-<hex>.sig` index.json entry of `digest`. */
function sigTagEntry(files: LayoutFiles, digest: string): { digest: string } {
  const tag = `${digest.replace(':', '-')}.sig`;
  const entry = readJson<IndexJsonShape>(files, 'index.json').manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (entry === undefined) throw new Error(`no ${tag} in index.json`);
  return entry;
}

type IndexJsonShape = { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };

/** The payload layer of `digest`'s `.sig` manifest: its blob digest and the base64 signature annotation. */
function sigLayer(files: LayoutFiles, digest: string): { manifest: string; payload: string } {
  const manifest = sigTagEntry(files, digest).digest;
  return { manifest, payload: readJson<Manifest>(files, blobName(manifest)).layers[0]!.digest };
}

/** The bundle referrer of `digest`: its manifest and bundle blob. */
function bundleOf(files: LayoutFiles, digest: string): { manifest: string; bundle: string } {
  const index = readJson<IndexJsonShape>(files, 'index.json');
  for (const m of index.manifests) {
    if (!files.has(blobName(m.digest))) continue;
    const value = readJson<Manifest & { artifactType?: string }>(files, blobName(m.digest));
    if (value.subject?.digest === digest && value.artifactType?.startsWith('application/vnd.dev.sigstore.bundle')) {
      return { manifest: m.digest, bundle: value.layers[0]!.digest };
    }
  }
  throw new Error(`no bundle referrer of ${digest}`);
}

/** Edits the DSSE envelope inside `digest`'s bundle and re-chains it. */
function editBundle(files: LayoutFiles, digest: string, edit: (dsse: { payload: string; signatures: Array<{ sig: string }> }) => void): void {
  const { bundle } = bundleOf(files, digest);
  const value = readJson<{ dsseEnvelope: { payload: string; signatures: Array<{ sig: string }> } }>(files, blobName(bundle));
  edit(value.dsseEnvelope);
  replaceBlob(files, bundle, Buffer.from(JSON.stringify(value)));
}

function flipBase64(b64: string, at: number): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[at] = bytes[at]! ^ 1;
  return bytes.toString('base64');
}

/** `<lookaside>/<repo>@sha256=<hex>`: where GPG signatures of `repo` (path without the registry) live. */
function lookasideDir(lookaside: string, repo: string, digest: string): string {
  return join(lookaside, `${repo}@${digest.replace(':', '=')}`);
}

// ---------------------------------------------------------------------------------------------
// The matrix

type Base = 'good' | 'mallory' | 'impostor' | 'expired' | 'otherIdentity';
type Where = 'tar' | 'stripped' | 'dir';

interface Signed {
  /** Base directories (image.tar, lookaside/); A and B signed (same key) in 'good', A only in the others. */
  bases: Partial<Record<Base, string>>;
  images: Images;
}

interface CaseContext {
  images: Images;
  keys: Keys;
  /** The case's copy of the lookaside directory (GPG). */
  lookaside: string;
}

interface TamperCase {
  name: string;
  base?: Base;
  on?: Where;
  mutate?: (files: LayoutFiles, i: Images, ctx: CaseContext) => void;
  code: 0 | 1 | 2;
  /** Must match the report's failure reasons (exit 1), the error (exit 2) or `Verified.`. */
  reason: RegExp;
  /**
   * Not tampering verify can or should catch, asserted so the behaviour stays as documented, and
   * counted apart from the rejections: the reason says why.
   */
  byDesign?: string;
  /** Wait before verifying (the expired certificate). */
  before?: (keys: Keys) => Promise<void>;
  /**
   * A raw blob check (digest, size, presence) that runs before any format's code: asserted for the
   * first format only, to keep the file's CLI runs (~0.4 s of CPU each) within budget.
   */
  formatIndependent?: true;
  /** A stripped-tar row run without --stripped. */
  notStripped?: true;
}

const DIGEST_MISMATCH = /content of blob sha256:\S+ does not match its digest/;
const INCOMPLETE_CONFIG = /the config blob sha256:\S+ \(\d+ bytes\) of the verified image is not in the layout/;
const INCOMPLETE_LAYER = /the layer blob sha256:\S+ \(\d+ bytes\) of the verified image is not in the layout \(give --stripped to accept absent layers\)/;

/** What each format says when a signature names another image, and when none is found. */
interface FormatReasons {
  otherImage: RegExp;
  noSignature: RegExp;
}

/** Rows every format shares: the image's own blobs, the tag, a stripped tar and a directory. */
function layoutCases(r: FormatReasons): TamperCase[] {
  return [
    { name: 'control: untampered', code: 0, reason: /Verified\./ },
    { formatIndependent: true, name: 'layer: one byte flipped', code: 1, reason: DIGEST_MISMATCH,
      mutate: (f, i) => flipByte(f, imageManifest(f, i.a).layers[0]!.digest, 1000) },
    { name: 'layer: replaced, digests re-chained up to index.json', code: 1, reason: r.otherImage,
      mutate: (f, i) => { replaceBlob(f, imageManifest(f, i.a).layers[0]!.digest, Buffer.from('evil layer')); } },
    { formatIndependent: true, name: 'config: one byte flipped', code: 1, reason: DIGEST_MISMATCH,
      mutate: (f, i) => flipByte(f, imageManifest(f, i.a).config.digest, 20) },
    { name: 'config: edited, digests re-chained', code: 1, reason: r.otherImage,
      mutate: (f, i) => { editJsonBlob(f, imageManifest(f, i.a).config.digest, (c) => { c.config = { Entrypoint: ['/bin/evil'] }; }); } },
    { formatIndependent: true, name: 'image manifest: one byte flipped', code: 1, reason: DIGEST_MISMATCH,
      mutate: (f, i) => flipByte(f, i.a, 40) },
    { name: 'image manifest: edited, digests re-chained', code: 1, reason: r.otherImage,
      mutate: (f, i) => { editJsonBlob(f, i.a, (m) => { m.annotations = { evil: 'yes' }; }); } },
    { formatIndependent: true, name: 'drop: the config blob (an incomplete image)', code: 1, reason: INCOMPLETE_CONFIG,
      mutate: (f, i) => f.remove(blobName(imageManifest(f, i.a).config.digest)) },
    { formatIndependent: true, name: 'drop: the image manifest blob', code: 1, reason: /manifest sha256:\S+ is listed but not in /,
      mutate: (f, i) => f.remove(blobName(i.a)) },
    { name: 'tag: 1.0 re-pointed to the unsigned image', code: 1, reason: r.noSignature,
      mutate: (f, i) => repointTag(f, '1.0', i.c) },
    { formatIndependent: true, name: 'drop: a layer blob of a full tar (an incomplete image)', code: 1, reason: INCOMPLETE_LAYER,
      mutate: (f, i) => f.remove(blobName(imageManifest(f, i.a).layers[0]!.digest)) },
    { name: 'stripped tar: control (--stripped)', on: 'stripped', code: 0, reason: /Verified\..* \| not present: layer sha256:/ },
    { formatIndependent: true, name: 'stripped tar: without --stripped, the absent layers fail', on: 'stripped', notStripped: true, code: 1, reason: INCOMPLETE_LAYER },
    { formatIndependent: true, name: 'stripped tar: config blob dropped, even with --stripped', on: 'stripped', code: 1, reason: INCOMPLETE_CONFIG,
      mutate: (f, i) => f.remove(blobName(imageManifest(f, i.a).config.digest)) },
    { formatIndependent: true, name: 'stripped tar: config byte flipped', on: 'stripped', code: 1, reason: DIGEST_MISMATCH,
      mutate: (f, i) => flipByte(f, imageManifest(f, i.a).config.digest, 20) },
    { name: 'stripped tar: tag re-pointed to the unsigned image', on: 'stripped', code: 1, reason: r.noSignature,
      mutate: (f, i) => repointTag(f, '1.0', i.c) },
    { name: 'directory: control', on: 'dir', code: 0, reason: /Verified\./ },
    { formatIndependent: true, name: 'directory: layer byte flipped', on: 'dir', code: 1, reason: DIGEST_MISMATCH,
      mutate: (f, i) => flipByte(f, imageManifest(f, i.a).layers[0]!.digest, -10) },
    { name: 'directory: image manifest edited, re-chained', on: 'dir', code: 1, reason: r.otherImage,
      mutate: (f, i) => { editJsonBlob(f, i.a, (m) => { m.annotations = { evil: 'yes' }; }); } },
  ];
}

const NOTATION_OTHER_IMAGE = /signature is for .* not for/;
const NOTATION_CASES: TamperCase[] = [
  ...layoutCases({ otherImage: NOTATION_OTHER_IMAGE, noSignature: /no Notation signature is associated/ }),
  { name: 'signature manifest: one byte flipped', code: 1, reason: DIGEST_MISMATCH,
    mutate: (f, i) => flipByte(f, oneSignature(f, i.a).manifest, 30) },
  { name: 'envelope: one byte flipped', code: 1, reason: DIGEST_MISMATCH,
    mutate: (f, i) => flipByte(f, oneSignature(f, i.a).envelope, 40) },
  { name: 'payload: names a re-chained image, envelope re-chained', code: 1, reason: /integrity: .*signature/i,
    mutate: (f, i) => {
      const evil = editJsonBlob(f, i.a, (m) => { m.annotations = { evil: 'yes' }; });
      editEnvelope(f, evil, (env) => {
        const payload = JSON.parse(Buffer.from(env.payload).toString('utf8')) as { targetArtifact: { digest: string; size: number } };
        payload.targetArtifact.digest = evil;
        payload.targetArtifact.size = f.read(blobName(evil)).length;
        env.payload = Buffer.from(JSON.stringify(payload));
      });
    } },
  { name: 'signature value: one bit flipped, envelope re-chained', code: 1, reason: /integrity: .*signature/i,
    mutate: (f, i) => editEnvelope(f, i.a, (env) => { env.signature = Buffer.from(env.signature); env.signature[5] = env.signature[5]! ^ 1; }) },
  { name: 'swap: image B\'s signature manifest, subject moved to A', code: 1, reason: NOTATION_OTHER_IMAGE,
    mutate: (f, i) => {
      const own = oneSignature(f, i.a).manifest;
      editIndex(f, (index) => { index.manifests = index.manifests.filter((m) => m.digest !== own); });
      editJsonBlob(f, oneSignature(f, i.b).manifest, (m) => { m.subject = { ...(m.subject as object), digest: i.a, size: f.read(blobName(i.a)).length }; });
    } },
  { name: 'swap: image B\'s envelope in A\'s signature manifest, re-chained', code: 1, reason: NOTATION_OTHER_IMAGE,
    mutate: (f, i) => { replaceBlob(f, oneSignature(f, i.a).envelope, f.read(blobName(oneSignature(f, i.b).envelope))); } },
  { name: 'identity: signed by another subject under the trusted root', base: 'impostor', code: 1, reason: /trustedIdentity: signing certificate .* does not match/ },
  { name: 'drop: the envelope blob', code: 1, reason: /integrity: blob sha256:\S+ \(application\/(jose\+json|cose)\) is not in /,
    mutate: (f, i) => f.remove(blobName(oneSignature(f, i.a).envelope)) },
  { name: 'drop: the signature manifest\'s index.json entry', code: 1, reason: /no Notation signature is associated/,
    mutate: (f, i) => { const own = oneSignature(f, i.a).manifest; editIndex(f, (index) => { index.manifests = index.manifests.filter((m) => m.digest !== own); }); } },
  { name: 'untrusted certificate: signed under a root not in the trust store', base: 'mallory', code: 1, reason: /authenticity: .*does not contain any trusted certificate/ },
  { name: 'untrusted key presenting the trusted chain (certificates swapped)', base: 'mallory', code: 1, reason: /integrity: .*signature/i,
    mutate: (f, i, { keys: k }) => editEnvelope(f, i.a, (env) => { env.chain = pemCerts(readFileSync(k.release.chain, 'utf8')); }) },
  { name: 'expired certificate: verified after its notAfter', base: 'expired', code: 1, reason: /authenticTimestamp: certificate .* was expired at/,
    before: async (k) => waitUntil(k.shortLived.notAfter.getTime() + 1500) },
  { name: 'by design: tag 1.0 re-pointed to image B, signed by the same key', code: 0, reason: /Verified\. target sha256:/,
    byDesign: 'a Notation signature binds the digest, not the tag; the report names the digest verified (pin it with --reference <digest>)',
    mutate: (f, i) => repointTag(f, '1.0', i.b) },
  { name: 'stripped tar: envelope byte flipped', on: 'stripped', code: 1, reason: DIGEST_MISMATCH,
    mutate: (f, i) => flipByte(f, oneSignature(f, i.a).envelope, 40) },
  { name: 'stripped tar: B\'s signature swapped in', on: 'stripped', code: 1, reason: NOTATION_OTHER_IMAGE,
    mutate: (f, i) => { replaceBlob(f, oneSignature(f, i.a).envelope, f.read(blobName(oneSignature(f, i.b).envelope))); } },
  { name: 'directory: B\'s signature swapped in', on: 'dir', code: 1, reason: NOTATION_OTHER_IMAGE,
    mutate: (f, i) => { replaceBlob(f, oneSignature(f, i.a).envelope, f.read(blobName(oneSignature(f, i.b).envelope))); } },
];

// cosign and GPG reasons, as the simple-signing and bundle checks word them.
const SIMPLE_SIGNING_OTHER_IMAGE = /digest: the signature is for manifest sha256:\S+, but the manifest is sha256:/;
const COSIGN_NO_SIGNATURE = /no cosign \.sig signature \(tag sha256-\S+\.sig\) is associated with sha256:/;
const COSIGN_BAD_SIGNATURE = /integrity: the cosign signature does not verify with the public key/;
const BUNDLE_OTHER_IMAGE = /digest: the bundle's statement is for sha256:\S+, not the image sha256:/;
const BUNDLE_NO_SIGNATURE = /no cosign bundle referrer is associated with sha256:/;
const BUNDLE_BAD_SIGNATURE = /integrity: the bundle's DSSE signature does not verify with the public key/;
const GPG_NO_SIGNATURE = /no GPG signature for sha256:\S+ as registry\.example\/team\/app in the lookaside /;
const GPG_BAD_SIGNATURE = /integrity: the signature by key \S+ does not verify \(the signed data or the signature was changed\)/;
const GPG_UNTRUSTED_KEY = /integrity: the signature is by key \S+, which is not in the keyring/;
const IDENTITY_MISMATCH = /identity: the signature is for "registry\.example\/team\/(evil|other)[^"]*", which does not match "registry\.example\/team\/app/;

const COSIGN_CASES: TamperCase[] = [
  ...layoutCases({ otherImage: SIMPLE_SIGNING_OTHER_IMAGE, noSignature: COSIGN_NO_SIGNATURE }),
  { name: '.sig manifest: one byte flipped', code: 1, reason: DIGEST_MISMATCH,
    mutate: (f, i) => flipByte(f, sigLayer(f, i.a).manifest, 30) },
  { name: 'payload blob: one byte flipped', code: 1, reason: DIGEST_MISMATCH,
    mutate: (f, i) => flipByte(f, sigLayer(f, i.a).payload, 10) },
  { name: 'payload: names a re-chained image, payload re-chained', code: 1, reason: COSIGN_BAD_SIGNATURE,
    mutate: (f, i) => {
      const evil = editJsonBlob(f, i.a, (m) => { m.annotations = { evil: 'yes' }; });
      editJsonBlob(f, sigLayer(f, evil).payload, (p) => { ((p.critical as Record<string, Record<string, string>>).image!)['docker-manifest-digest'] = evil; });
    } },
  { name: 'signature annotation: one bit flipped, re-chained', code: 1, reason: COSIGN_BAD_SIGNATURE,
    mutate: (f, i) => {
      editJsonBlob(f, sigLayer(f, i.a).manifest, (m) => {
        const layer = (m.layers as Array<{ annotations: Record<string, string> }>)[0]!;
        layer.annotations['dev.cosignproject.cosign/signature'] = flipBase64(layer.annotations['dev.cosignproject.cosign/signature']!, 8);
      });
    } },
  { name: 'swap: image B\'s .sig tag renamed to A\'s', code: 1, reason: SIMPLE_SIGNING_OTHER_IMAGE,
    mutate: (f, i) => {
      const own = sigTagEntry(f, i.a).digest;
      const theirs = sigTagEntry(f, i.b).digest;
      editIndex(f, (index) => {
        index.manifests = index.manifests.filter((m) => m.digest !== own);
        index.manifests.find((m) => m.digest === theirs)!.annotations!['org.opencontainers.image.ref.name'] = `${i.a.replace(':', '-')}.sig`;
      });
    } },
  { name: 'identity: signed for another repository (--identity)', base: 'otherIdentity', code: 1, reason: IDENTITY_MISMATCH },
  { name: 'tag: 1.0 re-pointed to image B, signed by the same key for its own name', code: 1, reason: IDENTITY_MISMATCH,
    mutate: (f, i) => repointTag(f, '1.0', i.b) },
  { name: 'drop: the payload blob', code: 1, reason: /is not in /,
    mutate: (f, i) => f.remove(blobName(sigLayer(f, i.a).payload)) },
  { name: 'drop: the .sig tag', code: 1, reason: COSIGN_NO_SIGNATURE,
    mutate: (f, i) => { const own = sigTagEntry(f, i.a).digest; editIndex(f, (index) => { index.manifests = index.manifests.filter((m) => m.digest !== own); }); } },
  { name: 'untrusted key: signed by a key not in --key', base: 'mallory', code: 1, reason: COSIGN_BAD_SIGNATURE },
];

const BUNDLE_CASES: TamperCase[] = [
  ...layoutCases({ otherImage: BUNDLE_OTHER_IMAGE, noSignature: BUNDLE_NO_SIGNATURE }),
  { name: 'bundle manifest: one byte flipped', code: 1, reason: DIGEST_MISMATCH,
    mutate: (f, i) => flipByte(f, bundleOf(f, i.a).manifest, 30) },
  { name: 'bundle blob: one byte flipped', code: 1, reason: DIGEST_MISMATCH,
    mutate: (f, i) => flipByte(f, bundleOf(f, i.a).bundle, 30) },
  { name: 'DSSE payload: subject names a re-chained image, bundle re-chained', code: 1, reason: BUNDLE_BAD_SIGNATURE,
    mutate: (f, i) => {
      const evil = editJsonBlob(f, i.a, (m) => { m.annotations = { evil: 'yes' }; });
      editBundle(f, evil, (dsse) => {
        const statement = JSON.parse(Buffer.from(dsse.payload, 'base64').toString('utf8')) as { subject: Array<{ digest: { sha256: string } }> };
        statement.subject[0]!.digest.sha256 = evil.slice(7);
        dsse.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
      });
    } },
  { name: 'DSSE signature: one bit flipped, bundle re-chained', code: 1, reason: BUNDLE_BAD_SIGNATURE,
    mutate: (f, i) => editBundle(f, i.a, (dsse) => { dsse.signatures[0]!.sig = flipBase64(dsse.signatures[0]!.sig, 8); }) },
  { name: 'swap: image B\'s bundle manifest, subject moved to A', code: 1, reason: BUNDLE_OTHER_IMAGE,
    mutate: (f, i) => {
      const own = bundleOf(f, i.a).manifest;
      editIndex(f, (index) => { index.manifests = index.manifests.filter((m) => m.digest !== own); });
      editJsonBlob(f, bundleOf(f, i.b).manifest, (m) => { m.subject = { ...(m.subject as object), digest: i.a, size: f.read(blobName(i.a)).length }; });
    } },
  { name: 'drop: the bundle blob', code: 1, reason: /is not in /,
    mutate: (f, i) => f.remove(blobName(bundleOf(f, i.a).bundle)) },
  { name: 'drop: the bundle manifest\'s index.json entry', code: 1, reason: BUNDLE_NO_SIGNATURE,
    mutate: (f, i) => { const own = bundleOf(f, i.a).manifest; editIndex(f, (index) => { index.manifests = index.manifests.filter((m) => m.digest !== own); }); } },
  { name: 'by design: tag 1.0 re-pointed to image B, signed by the same key', code: 0, reason: /Verified\. target sha256:/,
    byDesign: 'a bundle\'s in-toto statement names the digest only, no repository or tag; the report names the digest verified',
    mutate: (f, i) => repointTag(f, '1.0', i.b) },
  { name: 'untrusted key: bundle signed by a key not in --key', base: 'mallory', code: 1, reason: BUNDLE_BAD_SIGNATURE },
];

const GPG_CASES: TamperCase[] = [
  ...layoutCases({ otherImage: GPG_NO_SIGNATURE, noSignature: GPG_NO_SIGNATURE }),
  { name: 'signature file: one byte flipped', code: 1, reason: GPG_BAD_SIGNATURE,
    mutate: (_f, i, ctx) => {
      const path = join(lookasideDir(ctx.lookaside, 'team/app', i.a), 'signature-1');
      const bytes = readFileSync(path);
      bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 1;
      writeFileSync(path, bytes);
    } },
  { name: 'swap: image B\'s signature file copied over A\'s', code: 1, reason: SIMPLE_SIGNING_OTHER_IMAGE,
    mutate: (_f, i, ctx) => copyFileSync(join(lookasideDir(ctx.lookaside, 'team/other', i.b), 'signature-1'), join(lookasideDir(ctx.lookaside, 'team/app', i.a), 'signature-1')) },
  { name: 'swap: A\'s signature moved to a re-chained manifest', code: 1, reason: SIMPLE_SIGNING_OTHER_IMAGE,
    mutate: (f, i, ctx) => {
      const evil = editJsonBlob(f, i.a, (m) => { m.annotations = { evil: 'yes' }; });
      const to = lookasideDir(ctx.lookaside, 'team/app', evil);
      mkdirSync(to, { recursive: true });
      copyFileSync(join(lookasideDir(ctx.lookaside, 'team/app', i.a), 'signature-1'), join(to, 'signature-1'));
    } },
  { name: 'identity: signed for another repository (--identity), file moved to A\'s path', base: 'otherIdentity', code: 1, reason: IDENTITY_MISMATCH,
    mutate: (_f, i, ctx) => moveDir(lookasideDir(ctx.lookaside, 'team/evil', i.a), lookasideDir(ctx.lookaside, 'team/app', i.a)) },
  { name: 'tag: 1.0 re-pointed to image B, B\'s signature file moved to A\'s repository', code: 1, reason: IDENTITY_MISMATCH,
    mutate: (f, i, ctx) => {
      repointTag(f, '1.0', i.b);
      moveDir(lookasideDir(ctx.lookaside, 'team/other', i.b), lookasideDir(ctx.lookaside, 'team/app', i.b));
    } },
  { name: 'drop: the lookaside signature file', code: 1, reason: GPG_NO_SIGNATURE,
    mutate: (_f, i, ctx) => rmSync(join(lookasideDir(ctx.lookaside, 'team/app', i.a), 'signature-1')) },
  { name: 'untrusted key: signed by a key not in --keyring', base: 'mallory', code: 1, reason: GPG_UNTRUSTED_KEY },
];

function moveDir(from: string, to: string): void {
  mkdirSync(join(to, '..'), { recursive: true });
  renameSync(from, to);
}

function pemCerts(pem: string): Uint8Array[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}

async function waitUntil(ms: number): Promise<void> {
  const wait = ms - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** A case waits for its format's signed bases (about 25 sign runs, three at a time, on a shared machine). */
const CASE_TIMEOUT = 240_000;

let keys: Keys;
let images: Images;
const signed: Record<string, Promise<Signed>> = {};
let caseCount = 0;

async function sign(from: string, toDir: string, format: string, key: string, chain: string | undefined, reference: string, identity: string): Promise<void> {
  mkdirSync(toDir, { recursive: true });
  const r = await runCliAsync(['sign', from, '-o', join(toDir, 'image.tar'), '--key', key, ...(chain ? ['--cert', chain] : []), '--format', format,
    '--reference', reference, '--identity', identity, ...(format === 'gpg' ? ['--lookaside', join(toDir, 'lookaside')] : [])]);
  if (r.code !== 0) throw new Error(`sign ${format} ${reference} failed (${r.code}): ${r.stderr}`);
}

/** Signs the bases of a format (the short-lived certificate first: it is running out). */
async function signBases(format: string): Promise<Signed> {
  const dir = (name: string) => join(work, `${format}-${name}`);
  const notation = format.startsWith('notation');
  const bases: Signed['bases'] = { good: dir('good'), mallory: dir('mallory') };
  if (notation) {
    bases.expired = dir('expired');
    bases.impostor = dir('impostor');
    await sign(images.tar, bases.expired, format, keys.release.key, keys.shortLived.chain, '1.0', IDENTITY);
  } else {
    bases.otherIdentity = dir('other-identity');
  }
  const chain = (k: { chain: string }) => (notation ? k.chain : undefined);
  await Promise.all([
    sign(images.tar, dir('good-a'), format, keys.release.key, chain(keys.release), '1.0', IDENTITY).then(async () => {
      // B in the same base: the GPG lookaside directory travels with the tar.
      if (format === 'gpg') cpSync(join(dir('good-a'), 'lookaside'), join(dir('good'), 'lookaside'), { recursive: true });
      await sign(join(dir('good-a'), 'image.tar'), dir('good'), format, keys.release.key, chain(keys.release), '2', OTHER_IDENTITY);
    }),
    sign(images.tar, bases.mallory!, format, keys.mallory.key, chain(keys.mallory), '1.0', IDENTITY),
    notation
      ? sign(images.tar, bases.impostor!, format, keys.impostor.key, keys.impostor.chain, '1.0', IDENTITY)
      : sign(images.tar, bases.otherIdentity!, format, keys.release.key, undefined, '1.0', 'registry.example/team/evil:1.0'),
  ]);
  return { bases, images };
}

const stripped = new Map<string, Promise<string>>();

/** `airsign strip` of a base's tar, once per base. */
function strippedTar(base: string): Promise<string> {
  let done = stripped.get(base);
  if (done === undefined) {
    // Outside the base directory, which cases copy while strip writes.
    const out = join(work, `stripped-${stripped.size}.tar`);
    done = runCliAsync(['strip', join(base, 'image.tar'), '-d', join(work, `layers-${stripped.size}`), '-o', out, '--reference', '1.0']).then((r) => {
      if (r.code !== 0) throw new Error(`strip failed: ${r.stderr}`);
      return out;
    });
    stripped.set(base, done);
  }
  return done;
}

interface Outcome {
  code: number;
  /** Everything the run said about why: integrity failures, signature and requirement reasons, the error. */
  reasons: string;
}

async function runCase(format: string, c: TamperCase, s: Signed, verifyArgs: (caseDir: string) => string[]): Promise<Outcome> {
  const dir = join(work, `case-${++caseCount}`);
  const base = s.bases[c.base ?? 'good']!;
  cpSync(base, dir, { recursive: true });
  let target = join(dir, 'image.tar');
  if (c.on === 'stripped') {
    target = join(dir, 'stripped.tar');
    copyFileSync(await strippedTar(base), target);
  }
  if (c.on === 'dir') {
    const layout = join(dir, 'layout');
    mkdirSync(layout);
    execFileSync('tar', ['-xf', target, '-C', layout]);
    target = layout;
  }
  if (c.mutate) {
    const files = c.on === 'dir' ? new DirLayout(target) : TarLayout.read(target);
    c.mutate(files, s.images, { images: s.images, keys, lookaside: join(dir, 'lookaside') });
    files.save(target);
  }
  await c.before?.(keys);
  const stripFlag = c.on === 'stripped' && c.notStripped !== true ? ['--stripped'] : [];
  const r = await runCliAsync(['verify', target, '--reference', '1.0', '--identity', IDENTITY, ...stripFlag, ...verifyArgs(dir), '--json']);
  const reasons = reasonsOf(r);
  rows.push({ format, name: c.name, expected: c.code, code: r.code, reason: reasons, ...(c.byDesign ? { byDesign: c.byDesign } : {}) });
  rmSync(dir, { recursive: true, force: true });
  return { code: r.code, reasons };
}

/** Everything a `verify --json` run said about why (the error, or failures, reasons, notes and the verdict), on one line. */
function reasonsOf(r: { code: number; stdout: string; stderr: string }): string {
  let reasons = r.stderr.trim();
  if (r.stdout.trim() !== '' && r.stdout.trimStart().startsWith('{')) {
    const report = JSON.parse(r.stdout) as {
      error?: { code: string; message: string };
      verified: boolean;
      target: { digest: string };
      integrity: { failures: Array<{ digest: string; reason: string }>; notPresent: Array<{ role: string; digest: string }> };
      signatures: Array<{ reason: string }>;
      requirements: Array<{ reason: string }>;
      notes?: string[];
    };
    if (report.error !== undefined) {
      reasons = `${report.error.code}: ${report.error.message}`;
    } else {
      reasons = [...new Set([
        ...report.integrity.failures.map((x) => `${x.digest}: ${x.reason}`),
        ...report.signatures.filter(() => !report.verified).map((x) => x.reason),
        ...report.requirements.filter(() => !report.verified).map((x) => x.reason),
        ...(report.notes ?? []).map((n) => `note: ${n}`),
        report.verified ? `Verified. target ${report.target.digest}` : '',
        ...report.integrity.notPresent.map((x) => `not present: ${x.role} ${x.digest}`),
      ])].filter(Boolean).join(' | ');
      // The exit code and the report agree.
      expect(report.verified).toBe(r.code === 0);
    }
  } else if (r.stdout.trim() !== '') reasons = `${r.stdout.trim().replace(/\n/g, ' | ')} ${reasons}`.trim();
  return reasons;
}

const FORMATS = [
  { format: 'notation JWS', sign: 'notation', cases: NOTATION_CASES, args: () => ['--trust-policy', keys.trustPolicy, '--trust-store', keys.trustStore] },
  { format: 'notation COSE', sign: 'notation-cose', cases: NOTATION_CASES, args: () => ['--trust-policy', keys.trustPolicy, '--trust-store', keys.trustStore] },
  { format: 'cosign .sig', sign: 'cosign', cases: COSIGN_CASES, args: () => ['--format', 'cosign', '--key', keys.releasePublic.pem] },
  { format: 'cosign bundle', sign: 'cosign-bundle', cases: BUNDLE_CASES, args: () => ['--format', 'cosign-bundle', '--key', keys.releasePublic.pem] },
  { format: 'gpg', sign: 'gpg', cases: GPG_CASES, args: (dir: string) => ['--format', 'gpg', '--keyring', keys.releasePublic.openpgp, '--lookaside', join(dir, 'lookaside')] },
];

beforeAll(() => {
  keys = makeKeys();
  images = buildImages();
  // Started here, awaited per format: the short-lived certificate must sign before it expires.
  for (const { sign: format } of FORMATS) signed[format] = signBases(format);
  // Unhandled until awaited: attach a no-op so a failure reports once, from the tests.
  for (const p of Object.values(signed)) p.catch(() => {});
}, 120_000);

describe.each(FORMATS)('$format', ({ format, sign: signFormat, cases, args }) => {
  it.concurrent.each(cases.filter((c) => c.formatIndependent !== true || format === FORMATS[0]!.format))('$name → exit $code', async (c) => {
    const s = await signed[signFormat]!;
    const { code, reasons } = await runCase(format, c, s, args);
    expect({ code, reasons }).toEqual({ code: c.code, reasons: expect.stringMatching(c.reason) });
  }, CASE_TIMEOUT);
});

// ---------------------------------------------------------------------------------------------
// Issue 15: an attacker who controls the tar (and no key) must not talk the gate into "Verified."
// by what the layout says about itself, by what is absent, or by raw text. Each row failed on the
// code before the fix (exit 0, or a yargs error for the command-line rows).

/** Sets `io.containerd.image.name` of `digest`'s index.json entry (the attacker names the image). */
function renameImage(files: LayoutFiles, digest: string, name: string): void {
  editIndex(files, (index) => {
    const entry = index.manifests.find((m) => m.digest === digest)!;
    entry.annotations = { ...entry.annotations, 'io.containerd.image.name': name };
  });
}

interface GateCase {
  name: string;
  /** The signed (or unsigned) tar the case starts from, and its lookaside directory. */
  base: () => Promise<{ tar: string; lookaside?: string }>;
  mutate?: (files: LayoutFiles, i: Images) => void;
  /** The verify arguments after `verify`, given the case's tar and lookaside. */
  args: (tar: string, lookaside: string) => string[];
  code: 0 | 1 | 2;
  reason: RegExp;
  /** Human output instead of --json. */
  text?: true;
  /** Must not appear in what the run said. */
  not?: RegExp;
}

const gateFiles: Record<string, string> = {};
const gatePolicy = (name: string, docker: Record<string, unknown[]>): string => {
  const path = join(work, `gate-${name}.json`);
  writeFileSync(path, JSON.stringify({ default: [{ type: 'reject' }], transports: { docker } }));
  return path;
};
const gateTrustPolicy = (name: string, statements: unknown[]): string => {
  const path = join(work, `gate-tp-${name}.json`);
  writeFileSync(path, JSON.stringify({ version: '1.0', trustPolicies: statements }));
  return path;
};
const SKIP_EVERYTHING_ELSE = { name: 'everything-else', registryScopes: ['*'], signatureVerification: { level: 'skip' } };
const strictStatement = (name: string, scope: string) => ({
  name, registryScopes: [scope], signatureVerification: { level: 'strict' }, trustStores: ['ca:release'], trustedIdentities: ['x509.subject: C=US, ST=WA, O=Airsign Test, CN=release'],
});

const unsignedBase = () => Promise.resolve({ tar: images.tar });
const signedBase = (format: string, base: Base = 'good') => async () => {
  const s = await signed[format]!;
  return { tar: join(s.bases[base]!, 'image.tar'), lookaside: join(s.bases[base]!, 'lookaside') };
};
let stagingGpg: Promise<{ tar: string; lookaside: string }> | undefined;
/** Image A signed in GPG for registry.example/team/staging:1 (not for the app). */
const stagingBase = () => (stagingGpg ??= (async () => {
  const dir = join(work, 'gpg-staging');
  await sign(images.tar, dir, 'gpg', keys.release.key, undefined, '1.0', 'registry.example/team/staging:1');
  return { tar: join(dir, 'image.tar'), lookaside: join(dir, 'lookaside') };
})());

const notationMaterial = (tp = keys.trustPolicy) => ['--trust-policy', tp, '--trust-store', keys.trustStore];
const IDENTITY_REQUIRED = /IDENTITY_REQUIRED: verify needs --identity <registry\/repo\[:tag\]>/;

const GATE_CASES: GateCase[] = [
  { name: 'identity from the image: unsigned image names itself into an insecureAcceptAnything policy.json scope', base: unsignedBase,
    mutate: (f, i) => renameImage(f, i.c, 'registry.example/team/open:6'),
    args: (tar) => ['verify', tar, '--reference', '6', '--policy', gateFiles.openPolicy!], code: 2, reason: IDENTITY_REQUIRED },
  { name: 'identity from the image: a GPG signature for team/staging, the tar renamed to staging', base: stagingBase,
    mutate: (f, i) => renameImage(f, i.a, 'registry.example/team/staging:1'),
    args: (tar, lookaside) => ['verify', tar, '--reference', '1.0', '--format', 'gpg', '--keyring', keys.releasePublic.openpgp, '--lookaside', lookaside], code: 2, reason: IDENTITY_REQUIRED },
  { name: 'identity from the image: same tar, --identity given: the user\'s identity decides', base: stagingBase,
    mutate: (f, i) => renameImage(f, i.a, 'registry.example/team/staging:1'),
    args: (tar, lookaside) => ['verify', tar, '--reference', '1.0', '--identity', IDENTITY, '--format', 'gpg', '--keyring', keys.releasePublic.openpgp, '--lookaside', lookaside],
    code: 1, reason: /no GPG signature for sha256:\S+ as registry\.example\/team\/app in the lookaside/ },
  { name: 'identity from the image: untrusted Notation signature, scoped statement + "*" skip, no --identity', base: signedBase('notation', 'mallory'),
    args: (tar) => ['verify', tar, '--reference', '1.0', ...notationMaterial(gateFiles.scopedSkip)], code: 2, reason: IDENTITY_REQUIRED },
  { name: 'digest-pinned identity: a scope pinned to image B\'s digest, image A verified', base: unsignedBase,
    args: (tar) => ['verify', tar, '--reference', '1.0', '--identity', `registry.example/team/app@${images.b}`, '--policy', gateFiles.pinnedPolicy!],
    code: 1, reason: /--identity registry\.example\/team\/app@sha256:\S+ names digest sha256:\S+, but the verified image is sha256:/ },
  { name: 'scope on normalized text: --identity app:1 picks the strict docker.io/library/app statement', base: signedBase('notation', 'mallory'),
    args: (tar) => ['verify', tar, '--reference', '1.0', '--identity', 'app:1', ...notationMaterial(gateFiles.hubStrict)],
    code: 1, reason: /authenticity: .*does not contain any trusted certificate/ },
  { name: 'format downgrade: --trust-policy and --key given, the Notation signature absent, a cosign .sig present', base: signedBase('cosign'),
    args: (tar) => ['verify', tar, '--reference', '1.0', '--identity', IDENTITY, ...notationMaterial(), '--key', keys.releasePublic.pem],
    code: 1, reason: /no Notation signature is associated with sha256:/ },
  { name: 'format downgrade: --format gpg --format cosign under an insecureAcceptAnything scope, unsigned', base: unsignedBase,
    args: (tar) => ['verify', tar, '--reference', '1.0', '--identity', IDENTITY, '--policy', gateFiles.acceptPolicy!, '--format', 'gpg', '--format', 'cosign'],
    code: 1, reason: /--format gpg requires a gpg signature, and the policy's scope registry\.example\/team \(for registry\.example\/team\/app:1\.0\) accepted none/ },
  { name: 'control: an insecureAcceptAnything scope and no --format passes, and says no signature was required', base: unsignedBase,
    args: (tar) => ['verify', tar, '--reference', '1.0', '--identity', IDENTITY, '--policy', gateFiles.acceptPolicy!],
    code: 0, reason: /note: no signature was required: your policy's scope registry\.example\/team accepts registry\.example\/team\/app:1\.0 without one/ },
  { name: 'one vocabulary: --key before the positional input, as cosign users type it', base: signedBase('cosign'),
    args: (tar) => ['verify', '--key', keys.releasePublic.pem, tar, '--reference', '1.0', '--identity', IDENTITY], code: 0, reason: /Verified\./ },
  { name: 'one vocabulary: --format notation-cose on a COSE signature', base: signedBase('notation-cose'),
    args: (tar) => ['verify', tar, '--reference', '1.0', '--identity', IDENTITY, '--format', 'notation-cose', ...notationMaterial()], code: 0, reason: /Verified\./ },
  { name: 'one vocabulary: --format notation-cose on a JWS signature', base: signedBase('notation'),
    args: (tar) => ['verify', tar, '--reference', '1.0', '--identity', IDENTITY, '--format', 'notation-cose', ...notationMaterial()],
    code: 1, reason: /no Notation \(COSE\) signature is associated with sha256:/ },
  { name: 'messages: an unsigned image says "no signatures found"', base: unsignedBase, text: true,
    args: (tar) => ['verify', tar, '--reference', '6', '--identity', IDENTITY, ...notationMaterial()],
    code: 1, reason: /Note +No signatures found for sha256:\S+ as registry\.example\/team\/app:1\.0/, not: /Requirement notation: NOT satisfied/ },
  { name: 'messages: every missing input in one message', base: unsignedBase,
    args: (tar) => ['verify', tar, '--format', 'gpg', '--trust-policy', gateFiles.scopedSkip!],
    code: 2, reason: /VERIFY_NEEDS_INPUT: verify needs --identity .*--trust-store .*--keyring .*--lookaside /s },
];

describe('issue 15: the gate decides from what the user says', () => {
  beforeAll(() => {
    gateFiles.openPolicy = gatePolicy('open', { 'registry.example/team/open': [{ type: 'insecureAcceptAnything' }] });
    gateFiles.acceptPolicy = gatePolicy('accept', { 'registry.example/team': [{ type: 'insecureAcceptAnything' }] });
    gateFiles.pinnedPolicy = gatePolicy('pinned', { [`registry.example/team/app@${images.b}`]: [{ type: 'insecureAcceptAnything' }] });
    gateFiles.scopedSkip = gateTrustPolicy('scoped-skip', [strictStatement('release', 'registry.example/team/app'), SKIP_EVERYTHING_ELSE]);
    gateFiles.hubStrict = gateTrustPolicy('hub-strict', [strictStatement('hub', 'docker.io/library/app'), SKIP_EVERYTHING_ELSE]);
  });

  it.concurrent.each(GATE_CASES)('$name → exit $code', async (c) => {
    const base = await c.base();
    const dir = join(work, `gate-${++caseCount}`);
    mkdirSync(dir);
    const tar = join(dir, 'image.tar');
    copyFileSync(base.tar, tar);
    const lookaside = join(dir, 'lookaside');
    if (base.lookaside !== undefined && existsSync(base.lookaside)) cpSync(base.lookaside, lookaside, { recursive: true });
    if (c.mutate) {
      const files = TarLayout.read(tar);
      c.mutate(files, images);
      files.save(tar);
    }
    const r = await runCliAsync([...c.args(tar, lookaside), ...(c.text ? [] : ['--json'])]);
    const reasons = c.text ? `${r.stdout}${r.stderr}` : reasonsOf(r);
    rows.push({ format: 'issue 15', name: c.name, expected: c.code, code: r.code, reason: reasons.replace(/\n/g, ' | ') });
    rmSync(dir, { recursive: true, force: true });
    expect({ code: r.code, reasons }).toEqual({ code: c.code, reasons: expect.stringMatching(c.reason) });
    if (c.not) expect(reasons).not.toMatch(c.not);
  }, CASE_TIMEOUT);
});

describe('the tamper helper itself', () => {
  it('reads and writes a signed tar byte for byte; a re-chain with the same bytes changes nothing', async () => {
    const s = await signed[FORMATS[0]!.sign]!;
    const original = readFileSync(join(s.bases.good!, 'image.tar'));
    const files = TarLayout.read(join(s.bases.good!, 'image.tar'));
    expect(Buffer.from(files.bytes()).equals(original)).toBe(true);
    replaceBlob(files, s.images.a, files.read(blobName(s.images.a)));
    expect(Buffer.from(files.bytes()).equals(original)).toBe(true);
    // A real edit changes the manifest's digest, and index.json follows it.
    const edited = editJsonBlob(files, s.images.a, (m) => { m.annotations = { evil: 'yes' }; });
    expect(edited).not.toBe(s.images.a);
    expect(files.has(blobName(s.images.a))).toBe(false);
    expect(readJson<IndexJsonShape>(files, 'index.json').manifests.map((m) => m.digest)).toContain(edited);
  });
});
