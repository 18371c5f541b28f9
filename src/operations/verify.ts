/**
 * `verify`: the offline gate over a layout (tar, stripped tar, directory). Orchestration only:
 * the layout reader checks every present blob's digest and size, the graph finds the signatures of
 * the chosen image, each format's integrity check turns a signature into facts, and src/verify/
 * turns facts and the user's policy files into verdicts. Passes only when every blob present is
 * intact and every format's requirement holds.
 */
import { readFile } from 'node:fs/promises';
import { plainDescriptor, type PlainDescriptor } from '../descriptor.js';
import { airsignError, isAirsignError } from '../errors.js';
import { parseDockerReference, type DockerReference } from '../formats/docker-reference.js';
import type { KeyringKey } from '../formats/openpgp/keyring.js';
import { readSmallFile } from '../fs/read-small-file.js';
import type { OpenKeyOptions } from '../keys/open-key.js';
import type { VerificationKey } from '../keys/read-verification-keys.js';
import type { ContainersPolicy } from '../verify/containers-policy.js';
import { imageIdentity } from './sign-identity.js';
import { verifyNotationEnvelope, type VerifiedNotationEnvelope } from '../formats/notation/verify-envelope.js';
import { checkBlob } from '../layout/check-blob.js';
import { walkLayout, type GraphNode, type LayoutGraph } from '../layout/graph.js';
import { parseLayoutJson } from '../layout/layout-json.js';
import { isJsonObject } from '../json-object.js';
import { withLayout, type Layout, type OpenLayoutOptions } from '../layout/open-layout.js';
import { imageEntries, resolveImage } from '../layout/resolve.js';
import { Annotation, MediaType } from '../media-types.js';
import { evaluateNotationSignature, type NotationSignatureFacts } from '../verify/evaluate-notation.js';
import { parseNotationTrustPolicy, statementFor, type NotationTrustPolicy } from '../verify/notation-trust-policy.js';
import { openNotationTrustStore } from '../verify/notation-trust-store.js';
import type { SignatureFormatName, SignatureVerdict } from '../verify/verdict.js';
import { fsErrorText } from '../fs/fs-error-text.js';

export interface VerifyOptions extends OpenLayoutOptions {
  /** Which image: tag, name or digest (default: the only image). */
  reference?: string;
  /** `registry/repo[:tag]` the image is known as; picks the trust policy statement. */
  identity?: string;
  /** Formats whose signatures are required (default: every format that signed the image). */
  formats?: SignatureFormatName[];
  /** Path of a Notation trust policy (trustpolicy.oci.json format). */
  trustPolicy?: string;
  /** Path of a Notation trust store directory. */
  trustStore?: string;
  /** Notation revocation: CRL files or directories (DER or PEM), or CRL bytes. */
  crls?: Array<string | Uint8Array>;
  /** cosign public keys: PEM files or `pkcs11:` URIs (any one may have signed). */
  keys?: string[];
  /** How to reach a `pkcs11:` key (module, PIN sources) — only when the token shows no public object. */
  keyOptions?: OpenKeyOptions;
  /** GPG: a public keyring (binary or armored); every key in it is accepted. */
  keyring?: string;
  /** GPG: the lookaside directory holding `<repo>@<alg>=<hex>/signature-N`. */
  lookaside?: string;
  /** A containers policy.json deciding GPG (`signedBy`) and cosign `.sig` (`sigstoreSigned`). */
  policy?: string;
  /** Time of verification (default now); for tests. */
  now?: Date;
}

export interface VerifyRequirement {
  /** The format the requirement is about; `containers-policy` for insecureAcceptAnything/reject. */
  format: SignatureFormatName | 'containers-policy';
  satisfied: boolean;
  reason: string;
  /** The trust policy statement used (Notation), or `<policy.json> scope <scope>: <type>`. */
  policy?: string;
}

export interface VerifyReport {
  source: { kind: string; path: string };
  target: { digest: string; mediaType: string; size: number; reference?: string };
  identity?: string;
  integrity: {
    blobsChecked: number;
    bytesChecked: number;
    failures: Array<{ digest: string; reason: string }>;
    /** Blobs the layout references but does not hold (layers of a stripped tar). */
    notPresent: Array<{ digest: string; role: string; size: number }>;
  };
  signatures: SignatureVerdict[];
  requirements: VerifyRequirement[];
  verified: boolean;
}

const REFERRERS_TAG = /^(sha256|sha512)-[a-f0-9]+$/;
const MAX_ENVELOPE_BYTES = 4 * 1024 * 1024;
/** notation tries at most this many signatures per artifact. */
const MAX_SIGNATURES = 100;

/**
 * Verifies the image in layout `source` offline: every blob present (digest and size) and its
 * signatures under the given policy files. Resolves to the report (`verified` says whether every
 * requirement holds); throws AirsignError for unusable input.
 */
export async function verifyLayout(source: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  // Policy files, keys and the identity first: unusable input is reported before any work.
  const identity = options.identity === undefined ? undefined : parseDockerReference(options.identity);
  const policy = options.trustPolicy === undefined ? undefined : await readTrustPolicy(options.trustPolicy);
  if (options.policy !== undefined && options.keyring !== undefined) {
    throw airsignError('USAGE', '--keyring cannot be combined with --policy (the policy\'s signedBy names the GPG keys)');
  }
  const material: Material = {
    ...(identity === undefined ? {} : { identity }),
    ...(options.keys === undefined || options.keys.length === 0 ? {} : { keys: await (await import('../keys/read-verification-keys.js')).readVerificationKeys(options.keys, options.keyOptions) }),
    ...(options.keyring === undefined ? {} : { keyring: (await import('../formats/openpgp/keyring.js')).parseKeyring(await readInput(options.keyring, 'the keyring'), options.keyring) }),
    ...(options.policy === undefined ? {} : { containersPolicy: (await import('../verify/containers-policy.js')).parseContainersPolicy(await readInput(options.policy, 'the policy'), options.policy) }),
  };
  return withLayout(source, options, async (layout) => {
    try {
      return await verifyOpenLayout(layout, { ...options, ...(policy ? { parsedPolicy: policy } : {}) }, material);
    } catch (e) {
      if (!isAirsignError(e) || !GRAPH_INTEGRITY_CODES.has(e.code)) throw e;
      return unreadableGraphReport(layout, options, e);
    }
  });
}

/** What the command line gave, read and parsed before the layout is opened. */
interface Material {
  identity?: DockerReference;
  keys?: VerificationKey[];
  keyring?: KeyringKey[];
  containersPolicy?: ContainersPolicy;
}

const MAX_POLICY_FILE = 4 * 1024 * 1024;

async function readInput(path: string, what: string): Promise<Uint8Array> {
  return readSmallFile(path, { maxBytes: MAX_POLICY_FILE, code: 'INPUT_NOT_FOUND', what: `${what} ${path}` });
}

/**
 * A manifest or index that fails its digest or size check, or one index.json lists that is not
 * there, stops the graph walk. For verify that is tampering, not unusable input: the layout fails
 * verification (exit 1) and the report names the blob, like a corrupt layer.
 */
const GRAPH_INTEGRITY_CODES = new Set(['LAYOUT_DIGEST_MISMATCH', 'LAYOUT_SIZE_MISMATCH', 'LAYOUT_MISSING_BLOB']);

async function unreadableGraphReport(layout: Layout, options: VerifyOptions, error: Error): Promise<VerifyReport> {
  const digest = /\b(?:sha256|sha512):[a-f0-9]+/.exec(error.message)?.[0] ?? 'unknown';
  let target: PlainDescriptor;
  try {
    target = await chooseTarget(layout, options.reference);
  } catch (e) {
    if (!isAirsignError(e) || !GRAPH_INTEGRITY_CODES.has(e.code)) throw e;
    // The target itself is corrupt or missing: name it as index.json lists it.
    const listed = layout.index.manifests.find((d) => d.digest === digest);
    target = listed ? plainDescriptor(listed) : { mediaType: 'unknown', digest, size: 0 };
  }
  return {
    source: { ...layout.source },
    target: { ...target, ...(options.reference === undefined ? {} : { reference: options.reference }) },
    ...(options.identity === undefined ? {} : { identity: options.identity }),
    integrity: { blobsChecked: 0, bytesChecked: 0, failures: [{ digest, reason: error.message }], notPresent: [] },
    signatures: [],
    requirements: [],
    verified: false,
  };
}

async function readTrustPolicy(path: string): Promise<NotationTrustPolicy> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw airsignError('INPUT_NOT_FOUND', `cannot read the trust policy ${path}: ${fsErrorText(e)}`, { cause: e });
  }
  return parseNotationTrustPolicy(bytes, path);
}

async function verifyOpenLayout(layout: Layout, options: VerifyOptions & { parsedPolicy?: NotationTrustPolicy }, material: Material): Promise<VerifyReport> {
  const graph = await walkLayout(layout);
  const chosen = await chooseTarget(layout, options.reference);
  const target = plainDescriptor(chosen);
  // The identity: --identity, else the image's full name in the layout (as sign defaults it).
  const implied = material.identity === undefined ? imageIdentity(layout, chosen)?.reference : undefined;
  const identity = material.identity ?? (implied === undefined ? undefined : parseDockerReference(implied));
  const report: VerifyReport = {
    source: { ...layout.source },
    target: { ...target, ...(options.reference === undefined ? {} : { reference: options.reference }) },
    ...(identity === undefined ? {} : { identity: identity.text }),
    integrity: await checkBlobs(layout, graph),
    signatures: [],
    requirements: [],
    verified: false,
  };

  const found = signaturesOf(graph, target.digest);
  const present = new Set<SignatureFormatName>(found.map((s) => s.format));
  // GPG signatures live outside the layout: required when their material is given (or named by --format).
  if (options.lookaside !== undefined || options.keyring !== undefined) present.add('gpg');
  const policy = material.containersPolicy;
  // With --policy, GPG and cosign .sig signatures are judged by the policy's requirements.
  const formats = (options.formats ?? [...present]).filter((f) => policy === undefined || (f !== 'gpg' && f !== 'cosign'));
  if (formats.length === 0 && policy === undefined) {
    report.requirements.push({ format: 'notation', satisfied: false, reason: `no signature is associated with ${target.digest}` });
  }
  const manifest = await layout.readBlob(target);
  for (const format of ORDER.filter((f) => formats.includes(f))) {
    const nodes = found.filter((s) => s.format === format).slice(0, MAX_SIGNATURES).map((s) => s.node);
    switch (format) {
      case 'notation':
        report.requirements.push(await verifyNotation(layout, nodes, target, options, report));
        break;
      case 'cosign': {
        const keys = needKeys(material, 'cosign');
        const { cosignSigVerdicts, readCosignSigLayers } = await import('./verify-cosign.js');
        const verdicts = cosignSigVerdicts(await readCosignSigLayers(layout, nodes), { manifest, target, keys, ...(material.identity ? { identity: material.identity } : {}) });
        report.requirements.push(requirementOf('cosign', verdicts, `no cosign .sig signature (tag ${target.digest.replace(':', '-')}.sig) is associated with ${target.digest}`, report));
        break;
      }
      case 'cosign-bundle': {
        const keys = needKeys(material, 'cosign-bundle');
        const { cosignBundleVerdicts } = await import('./verify-cosign.js');
        const verdicts = await cosignBundleVerdicts(layout, nodes, { target, keys, ...(material.identity ? { identity: material.identity } : {}) });
        report.requirements.push(requirementOf('cosign-bundle', verdicts, `no cosign bundle referrer is associated with ${target.digest}`, report));
        break;
      }
      case 'gpg':
        report.requirements.push(await verifyGpg(options, material, identity, target, manifest, report));
        break;
    }
  }
  if (policy !== undefined) {
    const { readCosignSigLayers } = await import('./verify-cosign.js');
    const sigLayers = await readCosignSigLayers(layout, found.filter((s) => s.format === 'cosign').map((s) => s.node));
    const { containersPolicyRequirements } = await import('./verify-gpg.js');
    const result = await containersPolicyRequirements(policy, options, identity, target, manifest, sigLayers);
    report.signatures.push(...result.signatures);
    report.requirements.push(...result.requirements);
  }
  report.verified = report.integrity.failures.length === 0 && report.requirements.every((r) => r.satisfied);
  return report;
}

const ORDER: SignatureFormatName[] = ['notation', 'cosign', 'cosign-bundle', 'gpg'];

function needKeys(material: Material, format: 'cosign' | 'cosign-bundle'): VerificationKey[] {
  if (material.keys === undefined) {
    throw airsignError('VERIFY_NEEDS_KEY', format === 'cosign'
      ? 'verifying cosign .sig signatures needs --key <cosign.pub|pkcs11:URI> (or --policy with sigstoreSigned; or leave cosign out with --format)'
      : 'verifying cosign bundle signatures needs --key <cosign.pub|pkcs11:URI> (or leave cosign-bundle out with --format)');
  }
  return material.keys;
}

/**
 * The GPG requirement: the lookaside's signatures of the target under the keyring (the checking code
 * is loaded only here, so a Notation-only verify does not load the OpenPGP code).
 */
async function verifyGpg(options: VerifyOptions, material: Material, identity: DockerReference | undefined, target: PlainDescriptor, manifest: Uint8Array, report: VerifyReport): Promise<VerifyRequirement> {
  if (material.keyring === undefined) {
    throw airsignError('VERIFY_NEEDS_KEYRING', 'verifying GPG signatures needs --keyring <pubring.gpg|key.asc> (or --policy with signedBy)');
  }
  if (options.lookaside === undefined) {
    throw airsignError('VERIFY_NEEDS_LOOKASIDE', 'verifying GPG signatures needs --lookaside <dir>: they are stored outside the layout, in <dir>/<repository>@<alg>=<hex>/signature-N');
  }
  if (identity === undefined) {
    throw airsignError('IDENTITY_REQUIRED', 'verifying GPG signatures needs --identity <registry/repo[:tag]>: it names the lookaside directory and the signed identity (the image has no full name to default to)');
  }
  const { gpgVerdicts } = await import('./verify-gpg.js');
  const verdicts = await gpgVerdicts(options.lookaside, material.keyring, identity, target, manifest, options.now);
  return requirementOf('gpg', verdicts, `no GPG signature for ${target.digest} as ${identity.name} in the lookaside ${options.lookaside} (no signature-1 there)`, report);
}

/** One requirement from its signatures' verdicts: holds when one is valid. */
function requirementOf(format: SignatureFormatName, verdicts: SignatureVerdict[], none: string, report: VerifyReport): VerifyRequirement {
  report.signatures.push(...verdicts);
  if (verdicts.length === 0) return { format, satisfied: false, reason: none };
  const good = verdicts.find((v) => v.verdict === 'valid');
  if (good !== undefined) return { format, satisfied: true, reason: `signature ${good.signature} is valid${good.signer ? ` (signer ${good.signer})` : ''}` };
  return { format, satisfied: false, reason: verdicts.length === 1 ? verdicts[0]!.reason : `none of the ${verdicts.length} ${format} signatures is valid: ${verdicts[0]!.reason}` };
}

async function verifyNotation(
  layout: Layout,
  nodes: GraphNode[],
  target: PlainDescriptor,
  options: VerifyOptions & { parsedPolicy?: NotationTrustPolicy },
  report: VerifyReport,
): Promise<VerifyRequirement> {
  if (options.parsedPolicy === undefined) {
    throw airsignError('VERIFY_NEEDS_TRUST_POLICY', 'verifying Notation signatures needs --trust-policy <trustpolicy.json> (and --trust-store <dir>)');
  }
  const statement = statementFor(options.parsedPolicy, scopeOf(options.identity));
  if (statement.level !== 'skip' && options.trustStore === undefined) {
    throw airsignError('VERIFY_NEEDS_TRUST_POLICY', `trust policy statement "${statement.name}" needs a trust store: give --trust-store <dir>`);
  }
  const store = options.trustStore === undefined ? undefined : await openNotationTrustStore(options.trustStore);
  const crls = options.crls === undefined || options.crls.length === 0 ? [] : await (await import('../x509/crl-files.js')).readRevocationLists(options.crls);
  if (statement.level === 'skip' && nodes.length === 0) return { format: 'notation', satisfied: true, policy: statement.name, reason: `trust policy statement "${statement.name}" skips signature verification` };
  if (nodes.length === 0) return { format: 'notation', satisfied: false, policy: statement.name, reason: `no Notation signature is associated with ${target.digest}` };
  const verdicts: SignatureVerdict[] = [];
  for (const node of nodes) {
    const facts = await notationFacts(layout, node);
    verdicts.push(await evaluateNotationSignature(facts, target, statement, store, { ...(options.now ? { now: options.now } : {}), crls }));
  }
  report.signatures.push(...verdicts);
  if (statement.level === 'skip') return { format: 'notation', satisfied: true, policy: statement.name, reason: verdicts[0]!.reason };
  const good = verdicts.find((v) => v.verdict === 'valid');
  return good !== undefined
    ? { format: 'notation', satisfied: true, policy: statement.name, reason: `signature ${good.signature} is valid` }
    : { format: 'notation', satisfied: false, policy: statement.name, reason: verdicts.length === 1 ? verdicts[0]!.reason : `none of the ${verdicts.length} Notation signatures is valid` };
}

/** Reads a Notation signature manifest and checks its envelope; any failure is an integrity fact. */
async function notationFacts(layout: Layout, node: GraphNode): Promise<NotationSignatureFacts> {
  const signature = node.descriptor.digest;
  try {
    const manifest = parseLayoutJson(await layout.readBlob(plainDescriptor(node.descriptor)), `signature manifest ${signature}`);
    const layers = isJsonObject(manifest) && Array.isArray(manifest.layers) ? manifest.layers : [];
    if (layers.length !== 1 || !isJsonObject(layers[0])) {
      return { signature, integrityFailure: `signature manifest ${signature} must have exactly one envelope layer` };
    }
    const layer = layers[0] as unknown as PlainDescriptor;
    if (typeof layer.mediaType !== 'string' || typeof layer.digest !== 'string' || typeof layer.size !== 'number') {
      return { signature, integrityFailure: 'the envelope layer descriptor is malformed' };
    }
    const bytes = await layout.readBlob(layer, MAX_ENVELOPE_BYTES);
    const envelope: VerifiedNotationEnvelope = verifyNotationEnvelope(layer.mediaType, bytes);
    return { signature, envelope };
  } catch (e) {
    if (!isAirsignError(e)) throw e;
    return { signature, integrityFailure: e.message };
  }
}

interface FoundSignature {
  format: SignatureFormatName;
  node: GraphNode;
}

/** The signatures the layout holds for `digest`: referrers by subject, in index.json order. */
function signaturesOf(graph: LayoutGraph, digest: string): FoundSignature[] {
  const out: FoundSignature[] = [];
  for (const referrer of graph.referrers.get(digest) ?? []) {
    const node = graph.nodes.get(referrer);
    if (node === undefined || node.role !== 'signature') continue;
    if (node.artifactType === MediaType.NotarySignature) out.push({ format: 'notation', node });
    else if (node.artifactType === MediaType.SigstoreBundleV03) out.push({ format: 'cosign-bundle', node });
    else out.push({ format: 'cosign', node });
  }
  for (const tag of graph.cosignTags) {
    const node = graph.nodes.get(tag.digest);
    if (tag.kind === 'sig' && tag.subjectDigest === digest && node !== undefined && !out.some((s) => s.node === node)) out.push({ format: 'cosign', node });
  }
  return out;
}

/** The image to verify: by --reference, else the only image (referrers-tag indexes are not images). */
async function chooseTarget(layout: Layout, reference: string | undefined): Promise<PlainDescriptor & { annotations?: Record<string, string> }> {
  if (reference === undefined) {
    const images = (await imageEntries(layout)).filter((d) => !REFERRERS_TAG.test(d.annotations?.[Annotation.RefName] ?? ''));
    if (images.length === 1) return (await resolveImage(layout, images[0]!.digest)).descriptor;
  }
  return (await resolveImage(layout, reference)).descriptor;
}

/** Streams every blob the layout holds through its digest and size check. */
async function checkBlobs(layout: Layout, graph: LayoutGraph): Promise<VerifyReport['integrity']> {
  const result: VerifyReport['integrity'] = { blobsChecked: 0, bytesChecked: 0, failures: [], notPresent: [] };
  for (const node of graph.nodes.values()) {
    if (!node.present) {
      result.notPresent.push({ digest: node.descriptor.digest, role: node.role, size: node.descriptor.size });
      continue;
    }
    await checkOne(layout, plainDescriptor(node.descriptor), result);
  }
  for (const digest of graph.unreferencedBlobs) {
    const size = layout.blobSize(digest) ?? 0;
    await checkOne(layout, { mediaType: 'application/octet-stream', digest, size }, result);
  }
  return result;
}

async function checkOne(layout: Layout, desc: PlainDescriptor, result: VerifyReport['integrity']): Promise<void> {
  try {
    result.bytesChecked += await checkBlob(layout, desc);
    result.blobsChecked++;
  } catch (e) {
    if (!isAirsignError(e)) throw e;
    result.failures.push({ digest: desc.digest, reason: e.message });
  }
}

/** `registry/repo[:tag|@digest]` → `registry/repo` (a trust policy registry scope). */
export function scopeOf(identity: string | undefined): string | undefined {
  if (identity === undefined) return undefined;
  let name = identity;
  const at = name.indexOf('@');
  if (at >= 0) name = name.slice(0, at);
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) name = name.slice(0, colon);
  return name;
}

/** The human report for `verify` without --json. */
export function formatVerifyReport(report: VerifyReport): string {
  const lines: string[] = [];
  const i = report.integrity;
  lines.push(`Target    ${report.target.digest} (${report.target.mediaType})${report.identity ? ` as ${report.identity}` : ''}`);
  lines.push(`Blobs     ${i.blobsChecked} checked (${i.bytesChecked} bytes), ${i.failures.length} corrupt, ${i.notPresent.length} not present`);
  for (const f of i.failures) lines.push(`  CORRUPT ${f.digest}: ${f.reason}`);
  for (const n of i.notPresent) lines.push(`  not present: ${n.role} ${n.digest}`);
  for (const s of report.signatures) {
    lines.push(`Signature ${s.format} ${s.signature}: ${s.verdict.toUpperCase()}${s.signer ? ` (signer ${s.signer})` : ''}`);
    lines.push(`  ${s.reason}`);
    for (const w of s.warnings) lines.push(`  warning: ${w}`);
  }
  for (const r of report.requirements) lines.push(`Requirement ${r.format}${r.policy ? ` (policy "${r.policy}")` : ''}: ${r.satisfied ? 'satisfied' : 'NOT satisfied'}: ${r.reason}`);
  lines.push(report.verified ? 'Verified.' : 'Verification FAILED.');
  return lines.join('\n');
}
