/**
 * `verify`: the offline gate over a layout (tar, stripped tar, directory). Orchestration only:
 * the layout reader checks every present blob's digest and size, each format of the registry finds
 * its signatures of the chosen image and checks them (src/formats/signature-verification.ts: no
 * format name is known here), and src/verify/ turns facts and the user's policy files into verdicts. Passes only when every blob present is
 * intact and every format's requirement holds.
 */
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { plainDescriptor, type PlainDescriptor } from '../descriptor.js';
import { airsignError, isAirsignError, type AirsignError, type ErrorCode, type OptionField } from '../errors.js';
import { printable } from '../printable.js';
import { parseDockerReference, type DockerReference } from '../formats/docker-reference.js';
import type { KeyringKey } from '../formats/openpgp/keyring.js';
import { readSmallFile } from '../fs/read-small-file.js';
import type { OpenKeyOptions } from '../keys/open-key.js';
import type { VerificationKey } from '../keys/read-verification-keys.js';
import type { ContainersPolicy } from '../verify/containers-policy.js';
import { checkEachBlob } from '../layout/check-blob.js';
import { walkLayout, type GraphNode, type LayoutGraph } from '../layout/graph.js';
import { withLayout, type Layout, type OpenLayoutOptions } from '../layout/open-layout.js';
import { imageEntries, resolveImage } from '../layout/resolve.js';
import { Annotation } from '../media-types.js';
import { parseNotationTrustPolicy, statementFor, type NotationTrustPolicy, type TrustPolicyStatement } from '../verify/notation-trust-policy.js';
import type { SignatureFormatName, SignatureVerdict } from '../verify/verdict.js';
import { DEFAULT_VERIFICATIONS } from '../formats/default-verifications.js';
import type { FormatRegistry } from '../formats/registry.js';
import type { CheckContext, FormatVerification, FoundSignature, PolicyJudge, SignatureChecker, TrustInput, VerificationTrust } from '../formats/signature-verification.js';
import { fsErrorText } from '../fs/fs-error-text.js';

export interface VerifyOptions extends OpenLayoutOptions {
  /** Which image: tag, name or digest (default: the only image). */
  reference?: string;
  /**
   * `registry/repo[:tag][@digest]` the image is published as, normalized once as a docker
   * reference: picks the trust policy statement and the policy.json scope, names the GPG lookaside
   * directory, and is what signed identities must match. Never taken from the layout's own names.
   * A digest in it must be the verified image's.
   */
  identity?: string;
  /**
   * Formats whose signatures are required besides those the trust material requires (the
   * registry's ids, the names `sign --format` writes: notation, notation-cose, cosign,
   * cosign-bundle, gpg).
   */
  formats?: string[];
  /**
   * The signature formats verify knows: each format's `verification` finds and checks its
   * signatures (default: the formats `sign` offers, defaultFormatRegistry()).
   */
  registry?: FormatRegistry;
  /**
   * A Notation trust policy (trustpolicy.oci.json format): its path, or the document itself (the
   * parsed JSON object, checked as a file is); requires a Notation signature.
   */
  trustPolicy?: string | Record<string, unknown>;
  /**
   * A Notation trust store: its directory, or the certificates (DER) of each store by
   * `type:name` (`{ 'ca:release': [der] }`).
   */
  trustStore?: string | Record<string, Uint8Array[]>;
  /**
   * cosign public keys: PEM files or `pkcs11:` URIs, or public KeyObjects (any one may have
   * signed); require a cosign signature.
   */
  keys?: Array<string | KeyObject>;
  /** Notation revocation: CRL files or directories (DER or PEM), or CRL bytes. */
  crls?: Array<string | Uint8Array>;
  /** How to reach a `pkcs11:` key (module, PIN sources) — only when the token shows no public object. */
  keyOptions?: OpenKeyOptions;
  /** GPG: a public keyring (binary or armored), its path or its bytes; every key in it is accepted; requires a GPG signature. */
  keyring?: string | Uint8Array;
  /** GPG: the lookaside directory holding `<repo>@<alg>=<hex>/signature-N`. */
  lookaside?: string;
  /**
   * A containers policy.json deciding GPG (`signedBy`) and cosign `.sig` (`sigstoreSigned`): its
   * path, or the document itself (relative key paths in it are then relative to the working directory).
   */
  policy?: string | Record<string, unknown>;
  /** Accept absent layer blobs (a stripped tar); any other absent blob of the image still fails. */
  stripped?: boolean;
  /** Time of verification (default now); for tests. */
  now?: Date;
}

/**
 * What a requirement is about: a format's id (SignatureFormatName), `containers-policy` (the
 * policy's own verdict), or `identity` (the identity's digest).
 */
export type RequirementName = string;

export interface VerifyRequirement {
  /** The format the requirement is about; `containers-policy` for insecureAcceptAnything/reject. */
  format: RequirementName;
  satisfied: boolean;
  reason: string;
  /** The trust policy statement used (Notation), or `<policy.json> scope <scope>: <type>`. */
  policy?: string;
  /** What made it required: an option (`--trust-policy`, `--key`, `--format gpg`, ...). */
  requiredBy?: string;
}

export interface VerifyReport {
  source: { kind: string; path: string };
  target: { digest: string; mediaType: string; size: number; reference?: string };
  /** The normalized --identity every decision used (absent when none was given). */
  identity?: string;
  integrity: {
    blobsChecked: number;
    bytesChecked: number;
    /** Corrupt blobs, and blobs the verified image references but the layout lacks. */
    failures: Array<{ digest: string; reason: string }>;
    /** Absent blobs that were accepted: layers with --stripped, blobs of other images. */
    notPresent: Array<{ digest: string; role: string; size: number }>;
    /** True when absent layers were accepted (--stripped). */
    stripped?: boolean;
  };
  signatures: SignatureVerdict[];
  requirements: VerifyRequirement[];
  /** Plain-words remarks: nothing required by the user's policy, signatures left unchecked. */
  notes: string[];
  verified: boolean;
}

const REFERRERS_TAG = /^(sha256|sha512)-[a-f0-9]+$/;

/**
 * Verifies the image in layout `source` offline: every blob of the image (digest and size; absent
 * ones fail unless --stripped accepts absent layers) and its signatures under the given trust
 * material. Resolves to the report (`verified` says whether every requirement holds); throws
 * AirsignError for unusable input, before the layout is opened.
 */
export async function verifyLayout(source: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  // The identity, the formats and the policy files first: unusable input is reported before any work.
  const identity = options.identity === undefined ? undefined : parseDockerReference(options.identity);
  const verifications = options.registry?.verifications() ?? DEFAULT_VERIFICATIONS;
  const formats = checkFormatNames(options.formats ?? [], verifications);
  const trustPolicy = options.trustPolicy === undefined ? undefined : await readTrustPolicy(options.trustPolicy);
  if (options.policy !== undefined && options.keyring !== undefined) {
    throw airsignError('USAGE', 'options.keyring cannot be combined with options.policy (the policy\'s signedBy names the GPG keys)', { details: { option: 'keyring' } });
  }
  const statement = trustPolicy === undefined ? undefined : notationStatement(trustPolicy, identity);
  throwMissingInputs(missingInputs(options, formats.map((f) => verificationOf(verifications, f)), trustPolicy, statement, identity));
  const material: Material = {
    verifications,
    formats,
    ...(identity === undefined ? {} : { identity }),
    ...(trustPolicy === undefined ? {} : { trustPolicy }),
    ...(statement === undefined ? {} : { statement }),
    ...(options.keys === undefined || options.keys.length === 0 ? {} : { keys: await verificationKeys(options.keys, options.keyOptions) }),
    ...(options.keyring === undefined ? {} : { keyring: await keyringOf(options.keyring) }),
    ...(options.policy === undefined ? {} : { containersPolicy: await containersPolicyOf(options.policy) }),
  };
  return withLayout(source, options, async (layout) => {
    try {
      return await verifyOpenLayout(layout, options, material);
    } catch (e) {
      if (!isGraphIntegrityError(e)) throw e;
      return unreadableGraphReport(layout, options, identity, e);
    }
  });
}

/** What the command line gave, read and parsed before the layout is opened. */
interface Material {
  /** The formats verify knows, in registry order. */
  verifications: readonly FormatVerification[];
  /** The --format ids, known and without duplicates. */
  formats: SignatureFormatName[];
  identity?: DockerReference;
  trustPolicy?: NotationTrustPolicy;
  /** The trust policy statement for the identity (or the only, wildcard, statement). */
  statement?: TrustPolicyStatement;
  keys?: VerificationKey[];
  keyring?: KeyringKey[];
  containersPolicy?: ContainersPolicy;
}

function checkFormatNames(names: readonly string[], verifications: readonly FormatVerification[]): SignatureFormatName[] {
  const out: SignatureFormatName[] = [];
  const known = verifications.map((v) => v.id);
  for (const name of names) {
    if (!known.includes(name)) {
      throw airsignError('USAGE', `unknown options.formats ${JSON.stringify(name)} (known: ${known.join(', ')})`, { details: { option: 'formats', value: name } });
    }
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/** The format with id `id` (checkFormatNames made sure every --format has one). */
function verificationOf(verifications: readonly FormatVerification[], id: string): FormatVerification {
  const found = verifications.find((v) => v.id === id);
  if (found === undefined) throw new Error(`internal: no verification for format ${id}`);
  return found;
}

/** How the CLI names each trust input (requirements say what required them). */
const TRUST_INPUT_FLAGS: Record<TrustInput, string> = { trustPolicy: '--trust-policy', keys: '--key', keyring: '--keyring' };
const TRUST_INPUTS = Object.keys(TRUST_INPUT_FLAGS) as TrustInput[];

/**
 * The trust policy statement for the identity's repository. Without an identity only a policy
 * whose one statement is `*` can be used (missingInputs asks for --identity otherwise).
 */
function notationStatement(policy: NotationTrustPolicy, identity: DockerReference | undefined): TrustPolicyStatement | undefined {
  if (identity === undefined) return onlyWildcard(policy) ? policy.statements[0] : undefined;
  try {
    return statementFor(policy, identity.name);
  } catch (e) {
    if (isAirsignError(e) && e.code === 'VERIFY_NO_TRUST_POLICY') {
      throw airsignError('VERIFY_NO_TRUST_POLICY', `${e.message} (the identity used: ${identity.text})`, { details: { identity: identity.text, scope: identity.name } });
    }
    throw e;
  }
}

function onlyWildcard(policy: NotationTrustPolicy): boolean {
  return policy.statements.length === 1 && policy.statements[0]!.registryScopes.length === 1 && policy.statements[0]!.registryScopes[0] === '*';
}

/** One input a required check cannot run without. */
interface MissingInput {
  /** The VerifyOptions field. */
  field: OptionField & keyof VerifyOptions;
  /** How the CLI names it, with what it takes. */
  flag: string;
  /** Which check needs it. */
  why: string;
  code: ErrorCode;
}

/** Every input the required checks need and did not get, in one list (nothing is checked before). */
function missingInputs(
  options: VerifyOptions,
  formats: FormatVerification[],
  trustPolicy: NotationTrustPolicy | undefined,
  statement: TrustPolicyStatement | undefined,
  identity: DockerReference | undefined,
): MissingInput[] {
  const missing: MissingInput[] = [];
  const add = (m: MissingInput) => { if (!missing.some((x) => x.field === m.field)) missing.push(m); };
  const identityFor = (why: string) => add({ field: 'identity', flag: 'options.identity <registry/repo[:tag]>', why, code: 'IDENTITY_REQUIRED' });
  const nothing = options.trustPolicy === undefined && (options.keys ?? []).length === 0 && options.keyring === undefined
    && options.lookaside === undefined && options.policy === undefined && formats.length === 0;
  if (nothing) {
    add({ field: 'trustPolicy', flag: 'options.trustPolicy <trustpolicy.json> with options.trustStore <dir> (Notation), options.keys <cosign.pub> (cosign), options.keyring <pubring.gpg> with options.lookaside <dir> and options.identity (GPG), or options.policy <policy.json> with options.identity', why: 'verify decides only with your own trust material', code: 'VERIFY_NEEDS_INPUT' });
    return missing;
  }
  const withPolicy = options.policy !== undefined;
  const ids = (list: FormatVerification[]) => list.map((f) => f.id).join(', ');
  const notation = formats.filter((f) => f.trustedBy === 'trustPolicy');
  if (notation.length > 0 && trustPolicy === undefined) {
    add({ field: 'trustPolicy', flag: 'options.trustPolicy <trustpolicy.json>', why: `options.formats ${ids(notation)}`, code: 'VERIFY_NEEDS_TRUST_POLICY' });
  }
  if (trustPolicy !== undefined) {
    if (identity === undefined && statement === undefined) identityFor('the trust policy has scoped statements; the identity picks one');
    if ((statement === undefined || statement.level !== 'skip') && options.trustStore === undefined) {
      add({ field: 'trustStore', flag: 'options.trustStore <dir>', why: statement === undefined ? 'the trust policy' : `trust policy statement "${statement.name}"`, code: 'VERIFY_NEEDS_TRUST_POLICY' });
    }
  }
  const hasKeys = (options.keys ?? []).length > 0;
  const cosign = formats.filter((f) => f.trustedBy === 'keys' && !(withPolicy && f.judgedByPolicy !== undefined));
  const judges = [...new Set(cosign.flatMap((f) => (f.judgedByPolicy === undefined ? [] : [f.judgedByPolicy])))];
  if (cosign.length > 0 && !hasKeys) add({ field: 'keys', flag: 'options.keys <cosign.pub|pkcs11:URI>', why: `options.formats ${ids(cosign)}${judges.length > 0 ? ` (or options.policy with ${judges.join(', ')})` : ''}`, code: 'VERIFY_NEEDS_KEY' });
  const gpgFormats = formats.filter((f) => f.trustedBy === 'keyring');
  const gpg = !withPolicy && (gpgFormats.length > 0 || options.keyring !== undefined || options.lookaside !== undefined);
  if (gpg) {
    const why = gpgFormats.length > 0 ? `options.formats ${ids(gpgFormats)}` : options.keyring !== undefined ? 'options.keyring' : 'options.lookaside';
    if (options.keyring === undefined) add({ field: 'keyring', flag: 'options.keyring <pubring.gpg|key.asc>', why: `${why} (GPG signatures; or options.policy with signedBy)`, code: 'VERIFY_NEEDS_KEYRING' });
    if (options.lookaside === undefined) add({ field: 'lookaside', flag: 'options.lookaside <dir>', why: `${why} (GPG signatures are stored outside the layout, in <dir>/<repository>@<alg>=<hex>/signature-N)`, code: 'VERIFY_NEEDS_LOOKASIDE' });
    if (identity === undefined) identityFor('GPG: it names the lookaside directory and the signed identity');
  }
  if (options.policy !== undefined && identity === undefined) identityFor('options.policy: it picks the policy.json scope');
  return missing;
}

function throwMissingInputs(missing: MissingInput[]): void {
  if (missing.length === 0) return;
  const details = { missing: missing.map((m) => m.field) };
  if (missing.length === 1) {
    const m = missing[0]!;
    throw airsignError(m.code, `verify needs ${m.flag}: ${m.why}`, { details });
  }
  throw airsignError('VERIFY_NEEDS_INPUT', `verify needs ${missing.map((m) => `${m.flag} (${m.why})`).join('; ')}`, { details });
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
type GraphIntegrityError = AirsignError<'LAYOUT_DIGEST_MISMATCH'> | AirsignError<'LAYOUT_SIZE_MISMATCH'> | AirsignError<'LAYOUT_MISSING_BLOB'>;

function isGraphIntegrityError(e: unknown): e is GraphIntegrityError {
  return isAirsignError(e) && (e.code === 'LAYOUT_DIGEST_MISMATCH' || e.code === 'LAYOUT_SIZE_MISMATCH' || e.code === 'LAYOUT_MISSING_BLOB');
}

/** The report of a layout whose graph cannot be read: the blob is named by the error's `details.digest`. */
async function unreadableGraphReport(layout: Layout, options: VerifyOptions, identity: DockerReference | undefined, error: GraphIntegrityError): Promise<VerifyReport> {
  const digest = error.details.digest;
  let target: PlainDescriptor;
  try {
    target = await chooseTarget(layout, options.reference);
  } catch (e) {
    if (!isGraphIntegrityError(e)) throw e;
    // The target itself is corrupt or missing: name it as index.json lists it.
    const listed = layout.index.manifests.find((d) => d.digest === digest);
    target = listed ? plainDescriptor(listed) : { mediaType: 'unknown', digest, size: 0 };
  }
  return {
    source: { ...layout.source },
    target: { ...target, ...(options.reference === undefined ? {} : { reference: options.reference }) },
    ...(identity === undefined ? {} : { identity: identity.text }),
    integrity: { blobsChecked: 0, bytesChecked: 0, failures: [{ digest, reason: error.message }], notPresent: [] },
    signatures: [],
    requirements: [],
    notes: [],
    verified: false,
  };
}

/** Keys given as paths or URIs are read; KeyObjects are taken as they are (public keys only). */
async function verificationKeys(keys: Array<string | KeyObject>, keyOptions: OpenKeyOptions | undefined): Promise<VerificationKey[]> {
  const specs = keys.filter((k): k is string => typeof k === 'string');
  const read = specs.length === 0 ? [] : await (await import('../keys/read-verification-keys.js')).readVerificationKeys(specs, keyOptions);
  let next = 0;
  return keys.map((k, i) => {
    if (typeof k === 'string') return read[next++]!;
    if (k.type !== 'public') throw airsignError('KEY_PUBLIC_KEY_INVALID', `key ${i + 1} is a ${k.type} key; verification takes a public key`, { details: { option: 'keys', index: i } });
    return { name: `public key ${i + 1}`, key: k };
  });
}

async function keyringOf(keyring: string | Uint8Array): Promise<KeyringKey[]> {
  const { parseKeyring } = await import('../formats/openpgp/keyring.js');
  return typeof keyring === 'string' ? parseKeyring(await readInput(keyring, 'the keyring'), keyring) : parseKeyring(keyring, 'the keyring');
}

async function containersPolicyOf(policy: string | Record<string, unknown>): Promise<ContainersPolicy> {
  const { parseContainersPolicy } = await import('../verify/containers-policy.js');
  return typeof policy === 'string'
    ? parseContainersPolicy(await readInput(policy, 'the policy'), policy)
    : parseContainersPolicy(new TextEncoder().encode(JSON.stringify(policy)), 'policy.json');
}

async function readTrustPolicy(input: string | Record<string, unknown>): Promise<NotationTrustPolicy> {
  if (typeof input !== 'string') return parseNotationTrustPolicy(new TextEncoder().encode(JSON.stringify(input)), 'the trust policy');
  const path = input;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw airsignError('INPUT_NOT_FOUND', `cannot read the trust policy ${path}: ${fsErrorText(e)}`, { cause: e, details: { path, option: 'trustPolicy' } });
  }
  return parseNotationTrustPolicy(bytes, path);
}

/** One requirement before it is checked: its name, the formats whose valid signature meets it, and why it is required. */
interface PlannedRequirement {
  name: SignatureFormatName;
  accepts: SignatureFormatName[];
  requiredBy: string;
  /** The trust input that made it required (absent for --format). */
  input?: TrustInput;
}

/** True when a containers policy is given and judges `format` (its signedBy / sigstoreSigned) instead of its trust input. */
function judgedByPolicy(options: VerifyOptions, format: FormatVerification): boolean {
  return options.policy !== undefined && format.judgedByPolicy !== undefined;
}

/** Whether the trust material given can check signatures of the formats `input` checks. */
function trustGiven(input: TrustInput, options: VerifyOptions, material: Material): boolean {
  switch (input) {
    case 'trustPolicy':
      return material.statement !== undefined;
    case 'keys':
      return material.keys !== undefined;
    case 'keyring':
      return material.keyring !== undefined && options.lookaside !== undefined && material.identity !== undefined;
  }
}

/**
 * What the trust material and --format require (a policy.json's scope adds its own later): each
 * trust input given a valid signature of one of the formats it checks (--trust-policy: Notation,
 * unless its statement skips; --key: cosign .sig or bundle; --keyring: GPG), each --format its
 * format. A format a given policy.json judges is left to the policy.
 */
function plannedRequirements(options: VerifyOptions, material: Material): PlannedRequirement[] {
  const out: PlannedRequirement[] = [];
  const { formats, verifications } = material;
  for (const id of formats) {
    if (judgedByPolicy(options, verificationOf(verifications, id))) continue;
    out.push({ name: id, accepts: [id], requiredBy: `--format ${id}` });
  }
  const required: Record<TrustInput, boolean> = {
    trustPolicy: material.statement !== undefined && material.statement.level !== 'skip',
    keys: material.keys !== undefined,
    keyring: options.policy === undefined && material.keyring !== undefined,
  };
  for (const input of TRUST_INPUTS) {
    if (!required[input] || formats.some((f) => verificationOf(verifications, f).trustedBy === input)) continue;
    const checked = verifications.filter((v) => v.trustedBy === input);
    const accepts = checked.filter((v) => !judgedByPolicy(options, v)).map((v) => v.id);
    const judged = checked.filter((v) => judgedByPolicy(options, v)).map((v) => v.id);
    if (accepts.length === 0) continue;
    out.push({ name: accepts[0]!, accepts, input, requiredBy: judged.length === 0 ? TRUST_INPUT_FLAGS[input] : `${TRUST_INPUT_FLAGS[input]} (with --policy deciding ${judged.join(', ')})` });
  }
  return out;
}

async function verifyOpenLayout(layout: Layout, options: VerifyOptions, material: Material): Promise<VerifyReport> {
  const graph = await walkLayout(layout);
  const target = plainDescriptor(await chooseTarget(layout, options.reference));
  const identity = material.identity;
  const report: VerifyReport = {
    source: { ...layout.source },
    target: { ...target, ...(options.reference === undefined ? {} : { reference: options.reference }) },
    ...(identity === undefined ? {} : { identity: identity.text }),
    integrity: await checkBlobs(layout, graph, target.digest, options.stripped === true),
    signatures: [],
    requirements: [],
    notes: [],
    verified: false,
  };
  if (identity?.digest !== undefined && identity.digest !== target.digest) {
    report.requirements.push({
      format: 'identity',
      satisfied: false,
      requiredBy: '--identity',
      reason: `--identity ${identity.text} names digest ${identity.digest}, but the verified image is ${target.digest}`,
    });
  }

  const manifest = await layout.readBlob(target);
  const search = {
    layout,
    graph,
    target,
    referrers: targetReferrers(graph, target.digest),
    ...(identity === undefined ? {} : { identity }),
    ...(options.lookaside === undefined ? {} : { lookaside: options.lookaside }),
  };
  const context = checkContext(layout, target, manifest, trustOf(options, material));
  const verdicts: SignatureVerdict[] = [];
  const checked = new Set<string>();
  const present = new Set<string>();
  const foundBy = new Map<string, FoundSignature[]>();
  let acceptedWithoutSignature = false;

  // Each format finds its signatures; those whose trust input was given are checked, in registry order.
  for (const format of material.verifications) {
    if (judgedByPolicy(options, format) && material.containersPolicy !== undefined) continue; // found and judged below
    const found = await format.find(search);
    foundBy.set(format.id, found);
    if (found.length > 0) present.add(format.id);
    if (!trustGiven(format.trustedBy, options, material)) continue;
    checked.add(format.id);
    if (found.length === 0) continue;
    const checker: SignatureChecker = await format.load();
    for (const signature of found) verdicts.push(await checker.check(signature, context));
  }
  if (material.statement?.level === 'skip') {
    acceptedWithoutSignature = true;
    report.notes.push(`no Notation signature was required: trust policy statement "${material.statement.name}" skips verification${identity ? ` for ${identity.name}` : ''}`);
  }
  report.signatures.push(...verdicts);
  for (const planned of plannedRequirements(options, material)) {
    const first = verificationOf(material.verifications, planned.accepts[0]!);
    const none = first.noneFound(planned.accepts, { target, ...(identity === undefined ? {} : { identity }), ...(options.lookaside === undefined ? {} : { lookaside: options.lookaside }) });
    report.requirements.push(requirementOf(planned, verdicts, none, material));
  }

  const policy = material.containersPolicy;
  if (policy !== undefined && identity !== undefined) {
    const judgedFormats = material.verifications.filter((v) => v.judgedByPolicy !== undefined);
    for (const v of judgedFormats) checked.add(v.id);
    const judged: Partial<Record<PolicyJudge, string>> = {};
    for (const v of judgedFormats) judged[v.judgedByPolicy!] ??= v.id;
    const { containersPolicyRequirements } = await import('./verify-containers-policy.js');
    const result = await containersPolicyRequirements(policy, options, identity, target, manifest, {
      judged,
      async signatures(judge) {
        const out = [];
        for (const v of judgedFormats.filter((f) => f.judgedByPolicy === judge)) {
          const found = foundBy.get(v.id) ?? await v.find(search);
          foundBy.set(v.id, found);
          if (found.length > 0) present.add(v.id);
          out.push(...found.map((f) => v.policyInput!(f)));
        }
        return out;
      },
    });
    report.signatures.push(...result.signatures);
    report.requirements.push(...result.requirements);
    // --format gpg / cosign: a valid signature of that format, whatever the scope allows.
    for (const format of material.formats.filter((f) => verificationOf(material.verifications, f).judgedByPolicy !== undefined)) {
      if (result.requirements.some((r) => r.format === format && r.satisfied)) continue;
      const good = result.signatures.find((v) => v.format === format && v.verdict === 'valid');
      report.requirements.push(good !== undefined
        ? { format, satisfied: true, requiredBy: `--format ${format}`, reason: `signature ${good.signature} is valid under the policy` }
        : { format, satisfied: false, requiredBy: `--format ${format}`, reason: result.signatures.some((v) => v.format === format)
          ? `no ${format} signature is valid under the policy's scope ${result.scope} for ${identity.text}`
          : `--format ${format} requires a ${format} signature, and the policy's scope ${result.scope} (for ${identity.text}) accepted none` });
    }
    if (result.requirements.every((r) => r.format === 'containers-policy') && material.formats.length === 0 && result.requirements.every((r) => r.satisfied)) {
      acceptedWithoutSignature = true;
      report.notes.push(`no signature was required: your policy's scope ${result.scope} accepts ${identity.text} without one (insecureAcceptAnything)`);
    }
  }

  const unchecked = [...present].filter((f) => !checked.has(f));
  for (const format of unchecked) report.notes.push(`${format} signatures are present but were not checked (no trust material for them given)`);
  if (report.signatures.length === 0 && !report.requirements.every((r) => r.satisfied)) {
    report.notes.unshift(`no signatures found for ${target.digest}${identity ? ` as ${identity.text}` : ''}`);
  }
  // Nothing required passes only when the user's own policy said so (a skip statement, a scope that accepts anything).
  report.verified = report.integrity.failures.length === 0 && report.requirements.every((r) => r.satisfied)
    && (report.requirements.length > 0 || acceptedWithoutSignature);
  return report;
}

/** One requirement from the verdicts: holds when one of the formats it accepts has a valid signature. */
function requirementOf(planned: PlannedRequirement, all: SignatureVerdict[], none: string, material: Material): VerifyRequirement {
  const verdicts = all.filter((v) => planned.accepts.includes(v.format));
  const byTrustPolicy = planned.accepts.some((f) => verificationOf(material.verifications, f).trustedBy === 'trustPolicy');
  const base = { format: planned.name, requiredBy: planned.requiredBy, ...(byTrustPolicy && material.statement ? { policy: material.statement.name } : {}) };
  if (byTrustPolicy && material.statement?.level === 'skip') {
    return { ...base, satisfied: false, reason: `${planned.requiredBy} requires a verified Notation signature, but trust policy statement "${material.statement.name}" skips verification` };
  }
  if (verdicts.length === 0) return { ...base, satisfied: false, reason: none };
  const good = verdicts.find((v) => v.verdict === 'valid');
  if (good !== undefined) return { ...base, satisfied: true, reason: `signature ${good.signature} is valid${good.signer ? ` (signer ${good.signer})` : ''}` };
  return { ...base, satisfied: false, reason: verdicts.length === 1 ? verdicts[0]!.reason : `none of the ${verdicts.length} ${planned.name} signatures is valid: ${verdicts[0]!.reason}` };
}

/** The trust material as each format's check reads it. */
function trustOf(options: VerifyOptions, material: Material): VerificationTrust {
  return {
    ...(material.identity === undefined ? {} : { identity: material.identity }),
    ...(material.trustPolicy === undefined ? {} : { trustPolicy: material.trustPolicy }),
    ...(material.statement === undefined ? {} : { statement: material.statement }),
    ...(options.trustStore === undefined ? {} : { trustStore: options.trustStore }),
    ...(options.crls === undefined ? {} : { crls: options.crls }),
    ...(material.keys === undefined ? {} : { keys: material.keys }),
    ...(material.keyring === undefined ? {} : { keyring: material.keyring }),
    ...(options.lookaside === undefined ? {} : { lookaside: options.lookaside }),
    ...(options.now === undefined ? {} : { now: options.now }),
  };
}

/** What every check of one run shares: the layout, the target and its manifest, the trust, and things opened once. */
function checkContext(layout: Layout, target: PlainDescriptor, manifest: Uint8Array, trust: VerificationTrust): CheckContext {
  const opened = new Map<string, Promise<unknown>>();
  return {
    layout,
    target,
    manifest,
    trust,
    once<T>(key: string, make: () => Promise<T>): Promise<T> {
      let value = opened.get(key);
      if (value === undefined) {
        value = make();
        opened.set(key, value);
      }
      return value as Promise<T>;
    },
  };
}

/**
 * The target's referrers, in index.json order: each format picks its own by artifact type (the
 * graph's `signature` role knows only the default formats' types, so it does not filter here).
 */
function targetReferrers(graph: LayoutGraph, digest: string): GraphNode[] {
  return (graph.referrers.get(digest) ?? []).map((d) => graph.nodes.get(d)).filter((n): n is GraphNode => n !== undefined);
}

/** The image to verify: by --reference, else the only image (referrers-tag indexes are not images). */
async function chooseTarget(layout: Layout, reference: string | undefined): Promise<PlainDescriptor & { annotations?: Record<string, string> }> {
  if (reference === undefined) {
    const images = (await imageEntries(layout)).filter((d) => !REFERRERS_TAG.test(d.annotations?.[Annotation.RefName] ?? ''));
    if (images.length === 1) return (await resolveImage(layout, images[0]!.digest)).descriptor;
  }
  return (await resolveImage(layout, reference)).descriptor;
}

/**
 * Streams every blob the layout holds through its digest and size check. A blob the verified image
 * references and the layout lacks is a failure, except a layer when `stripped`; absent blobs of
 * other images are only listed.
 */
async function checkBlobs(layout: Layout, graph: LayoutGraph, targetDigest: string, stripped: boolean): Promise<VerifyReport['integrity']> {
  const result: VerifyReport['integrity'] = { blobsChecked: 0, bytesChecked: 0, failures: [], notPresent: [], ...(stripped ? { stripped } : {}) };
  const image = reachableFrom(graph, targetDigest);
  // What to report, in graph order: a present blob's entry is filled in once it is checked (two at a time).
  const steps: Array<(outcomes: Map<string, { bytes: number } | { error: Error }>) => void> = [];
  const present: PlainDescriptor[] = [];
  const check = (desc: PlainDescriptor) => {
    present.push(desc);
    steps.push((outcomes) => {
      const outcome = outcomes.get(desc.digest)!;
      if ('error' in outcome) {
        result.failures.push({ digest: desc.digest, reason: outcome.error.message });
      } else {
        result.bytesChecked += outcome.bytes;
        result.blobsChecked++;
      }
    });
  };
  for (const node of graph.nodes.values()) {
    const digest = node.descriptor.digest;
    if (node.present) {
      check(plainDescriptor(node.descriptor));
    } else if (image.has(digest) && !(stripped && node.role === 'layer')) {
      const reason = `the ${node.role} blob ${digest} (${node.descriptor.size} bytes) of the verified image is not in the layout${node.role === 'layer' ? ' (give --stripped to accept absent layers)' : ''}`;
      steps.push(() => result.failures.push({ digest, reason }));
    } else {
      steps.push(() => result.notPresent.push({ digest, role: node.role, size: node.descriptor.size }));
    }
  }
  for (const digest of graph.unreferencedBlobs) check({ mediaType: 'application/octet-stream', digest, size: layout.blobSize(digest) ?? 0 });
  const checked = await checkEachBlob(layout, present);
  const outcomes = new Map(present.map((desc, i) => [desc.digest, checked[i]!]));
  for (const step of steps) step(outcomes);
  return result;
}

/** The digests of the image: the target, and everything its indexes and manifests list (subject edges excluded). */
function reachableFrom(graph: LayoutGraph, digest: string): Set<string> {
  const seen = new Set<string>();
  const stack = [digest];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(graph.nodes.get(next)?.children ?? []));
  }
  return seen;
}

/** The human report for `verify` without --json. */
export function formatVerifyReport(report: VerifyReport): string {
  const lines: string[] = [];
  const i = report.integrity;
  lines.push(`Target    ${report.target.digest} (${report.target.mediaType})${report.identity ? ` as ${report.identity}` : ''}`);
  lines.push(`Blobs     ${i.blobsChecked} checked (${i.bytesChecked} bytes), ${i.failures.length} failed, ${i.notPresent.length} not present${i.stripped ? ' (checked stripped: absent layers accepted)' : ''}`);
  for (const f of i.failures) lines.push(`  FAILED ${f.digest}: ${f.reason}`);
  for (const n of i.notPresent) lines.push(`  not present: ${n.role} ${n.digest}`);
  for (const s of report.signatures) {
    lines.push(`Signature ${s.format} ${s.signature}: ${s.verdict.toUpperCase()}${s.signer ? ` (signer ${s.signer})` : ''}`);
    lines.push(`  ${s.reason}`);
    for (const w of s.warnings) lines.push(`  warning: ${w}`);
  }
  const noneFound = report.signatures.length === 0 && !report.verified;
  for (const n of report.notes) lines.push(`Note      ${n.charAt(0).toUpperCase()}${n.slice(1)}`);
  for (const r of report.requirements) {
    const by = r.requiredBy ? ` [required by ${r.requiredBy}]` : '';
    if (noneFound && !r.satisfied && r.format !== 'identity') lines.push(`  ${r.format}: ${r.reason}${by}`);
    else lines.push(`Requirement ${r.format}${r.policy ? ` (policy "${r.policy}")` : ''}: ${r.satisfied ? 'satisfied' : 'NOT satisfied'}: ${r.reason}${by}`);
  }
  lines.push(report.verified ? 'Verified.' : 'Verification FAILED.');
  // Media types, signer names and reasons quote the artifact: each line is escaped on its own (src/printable.ts).
  return lines.map(printable).join('\n');
}
