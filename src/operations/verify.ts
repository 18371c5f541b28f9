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
import { verifyNotationEnvelope, type VerifiedNotationEnvelope } from '../formats/notation/verify-envelope.js';
import { checkBlob } from '../layout/check-blob.js';
import { walkLayout, type GraphNode, type LayoutGraph } from '../layout/graph.js';
import { isObject, parseLayoutJson } from '../layout/layout-json.js';
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
  /** Time of verification (default now); for tests. */
  now?: Date;
}

export interface VerifyRequirement {
  format: SignatureFormatName;
  satisfied: boolean;
  reason: string;
  /** The trust policy statement used (Notation). */
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
  // Policy files first: unusable input is reported before any work.
  const policy = options.trustPolicy === undefined ? undefined : await readTrustPolicy(options.trustPolicy);
  return withLayout(source, options, (layout) => verifyOpenLayout(layout, { ...options, ...(policy ? { parsedPolicy: policy } : {}) }));
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

async function verifyOpenLayout(layout: Layout, options: VerifyOptions & { parsedPolicy?: NotationTrustPolicy }): Promise<VerifyReport> {
  const graph = await walkLayout(layout);
  const target = await chooseTarget(layout, options.reference);
  const report: VerifyReport = {
    source: { ...layout.source },
    target: { ...target, ...(options.reference === undefined ? {} : { reference: options.reference }) },
    ...(options.identity === undefined ? {} : { identity: options.identity }),
    integrity: await checkBlobs(layout, graph),
    signatures: [],
    requirements: [],
    verified: false,
  };

  const found = signaturesOf(graph, target.digest);
  const present = new Set(found.map((s) => s.format));
  const formats = options.formats ?? [...present];
  if (formats.length === 0) {
    report.requirements.push({ format: 'notation', satisfied: false, reason: `no signature is associated with ${target.digest}` });
  }
  for (const format of formats) {
    if (format !== 'notation') {
      throw airsignError('VERIFY_FORMAT_UNSUPPORTED',
        `verifying ${format} signatures inside a layout is not supported yet; check them with verify-signature, or limit this run with --format notation`);
    }
    const signatures = found.filter((s) => s.format === format).slice(0, MAX_SIGNATURES);
    report.requirements.push(await verifyNotation(layout, signatures.map((s) => s.node), target, options, report));
  }
  report.verified = report.integrity.failures.length === 0 && report.requirements.every((r) => r.satisfied);
  return report;
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
  if (nodes.length === 0) return { format: 'notation', satisfied: false, policy: statement.name, reason: `no Notation signature is associated with ${target.digest}` };
  const verdicts: SignatureVerdict[] = [];
  for (const node of nodes) {
    const facts = await notationFacts(layout, node);
    verdicts.push(await evaluateNotationSignature(facts, target, statement, store, options.now ? { now: options.now } : {}));
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
    const layers = isObject(manifest) && Array.isArray(manifest.layers) ? manifest.layers : [];
    if (layers.length !== 1 || !isObject(layers[0])) {
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
    else out.push({ format: 'cosign', node });
  }
  for (const tag of graph.cosignTags) {
    const node = graph.nodes.get(tag.digest);
    if (tag.kind === 'sig' && tag.subjectDigest === digest && node !== undefined && !out.some((s) => s.node === node)) out.push({ format: 'cosign', node });
  }
  return out;
}

/** The image to verify: by --reference, else the only image (referrers-tag indexes are not images). */
async function chooseTarget(layout: Layout, reference: string | undefined): Promise<PlainDescriptor> {
  if (reference === undefined) {
    const images = (await imageEntries(layout)).filter((d) => !REFERRERS_TAG.test(d.annotations?.[Annotation.RefName] ?? ''));
    if (images.length === 1) return plainDescriptor((await resolveImage(layout, images[0]!.digest)).descriptor);
  }
  return plainDescriptor((await resolveImage(layout, reference)).descriptor);
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
