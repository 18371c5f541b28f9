/**
 * Checks for cosign-family output with tools we did not write: @sigstore/verify's Verifier (offline,
 * thresholds 0; sigstore-verify.ts) for bundles, openssl for `.sig` layer signatures, and a re-statement of the
 * structural rules `cosign verify --local-image` applies to a layout directory (pkg/oci/layout and
 * pkg/cosign/verify.go: the kind-annotated target, the one kind=sigs manifest and its layers, and
 * bundle referrers found by parsing every blob as a manifest).
 */
import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Kept here for the files that import it with the other cosign peers; defined in sigstore-verify.ts (no process, so unit tests can use it). */
export { verifyBundleWithSigstoreJs, type VerifiedBundle } from './sigstore-verify.js';

let scratch: string | undefined;

/** openssl's verdict on a cosign layer signature (SHA-256 ECDSA DER / RSA PKCS#1 v1.5, or pure Ed25519). */
export function opensslVerifiesCosign(publicKeyPem: string, payload: Uint8Array, signatureB64: string): boolean {
  scratch ??= mkdtempSync(join(tmpdir(), 'airsign-cosign-peer-'));
  const pub = join(scratch, 'pub.pem');
  const msg = join(scratch, 'payload');
  const sig = join(scratch, 'sig');
  writeFileSync(pub, publicKeyPem);
  writeFileSync(msg, payload);
  writeFileSync(sig, Buffer.from(signatureB64, 'base64'));
  const ed25519 = createPublicKey(publicKeyPem).asymmetricKeyType === 'ed25519';
  const args = ed25519
    ? ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', msg, '-sigfile', sig]
    : ['dgst', '-sha256', '-verify', pub, '-signature', sig, msg];
  try {
    return /Verified OK|Signature Verified Successfully/.test(execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch {
    return false;
  }
}

export interface CosignLocalImage {
  target: { digest: string; kind: string };
  sigTag: string | undefined;
  /** Layers of the kind=sigs manifest: payload bytes and base64 signature. */
  signatures: Array<{ payload: Buffer; signature: string }>;
  /** Bundle layers of manifests in blobs/ whose subject is the target. */
  bundles: Buffer[];
}

type Json = Record<string, unknown>;

function blob(dir: string, digest: string): Buffer {
  const [alg, hex] = digest.split(':');
  return readFileSync(join(dir, 'blobs', alg!, hex!));
}

/** What `cosign verify --local-image DIR` would look at; throws naming the rule a layout breaks. */
export function cosignLocalImage(dir: string): CosignLocalImage {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Json[] };
  const kindOf = (m: Json) => (m.annotations as Record<string, string> | undefined)?.kind;
  const target = index.manifests.find((m) => kindOf(m) === 'dev.cosignproject.cosign/imageIndex') ?? index.manifests.find((m) => kindOf(m) === 'dev.cosignproject.cosign/image');
  if (!target) throw new Error('no index.json entry with kind dev.cosignproject.cosign/image or /imageIndex');
  const targetDigest = target.digest as string;
  const sigsEntries = index.manifests.filter((m) => kindOf(m) === 'dev.cosignproject.cosign/sigs');
  const sigsDigests = new Set(sigsEntries.map((m) => m.digest));
  if (sigsDigests.size > 1) throw new Error(`${sigsDigests.size} different kind=sigs manifests (cosign reads only the first)`);
  const signatures: CosignLocalImage['signatures'] = [];
  let sigTag: string | undefined;
  if (sigsEntries.length > 0) {
    const entry = sigsEntries[0]!;
    sigTag = (entry.annotations as Record<string, string>)['org.opencontainers.image.ref.name'];
    if (entry.mediaType !== 'application/vnd.oci.image.manifest.v1+json') throw new Error('the kind=sigs entry is not an OCI image manifest');
    const manifest = JSON.parse(blob(dir, entry.digest as string).toString('utf8')) as { layers: Json[]; config: Json };
    for (const layer of manifest.layers) {
      if (layer.mediaType !== 'application/vnd.dev.cosign.simplesigning.v1+json') throw new Error(`a .sig layer has media type ${String(layer.mediaType)}`);
      const signature = (layer.annotations as Record<string, string> | undefined)?.['dev.cosignproject.cosign/signature'];
      if (signature === undefined) throw new Error('a .sig layer has no dev.cosignproject.cosign/signature');
      signatures.push({ payload: blob(dir, layer.digest as string), signature });
    }
  }
  const bundles: Buffer[] = [];
  for (const hex of readdirSync(join(dir, 'blobs', 'sha256'))) {
    let value: Json;
    try {
      value = JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', hex), 'utf8')) as Json;
    } catch {
      continue;
    }
    const subject = value.subject as Json | undefined;
    if (!subject || subject.digest !== targetDigest || !Array.isArray(value.layers)) continue;
    for (const layer of value.layers as Json[]) {
      if (typeof layer.mediaType === 'string' && layer.mediaType.startsWith('application/vnd.dev.sigstore.bundle')) bundles.push(blob(dir, layer.digest as string));
    }
  }
  return { target: { digest: targetDigest, kind: kindOf(target)! }, sigTag, signatures, bundles };
}

/** Extracts a layout tar into a new directory with tar (a peer). */
export function extractTar(tarPath: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'airsign-extract-'));
  execFileSync('tar', ['-xf', tarPath, '-C', dir]);
  return dir;
}
