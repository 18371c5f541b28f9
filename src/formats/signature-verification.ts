/**
 * The verify side of the format seam: what a signature format contributes so that `verify` finds
 * and checks its signatures without knowing it. A format's `FormatVerification` is small (its id,
 * the trust input that checks it, how to say that none was found) and loads its finder and
 * checker only when a verification uses them, so a Notation-only verify loads no cosign or OpenPGP
 * code. `verify` (src/operations/verify.ts) decides which signatures are required, runs `find` and
 * `check` of each format in the list it is given, and turns the verdicts into requirements.
 */
import type { PlainDescriptor } from '../descriptor.js';
import type { GraphNode, LayoutGraph } from '../layout/graph.js';
import type { Layout } from '../layout/open-layout.js';
import type { VerificationKey } from '../keys/read-verification-keys.js';
import type { NotationTrustPolicy, TrustPolicyStatement } from '../verify/notation-trust-policy.js';
import type { PolicySignatureInput } from '../verify/evaluate-containers-policy.js';
import type { SignatureVerdict } from '../verify/verdict.js';
import type { DockerReference } from './docker-reference.js';
import type { KeyringKey } from './openpgp/keyring.js';

/**
 * The trust inputs of `verify` (its option fields) that check signatures: each one given requires
 * a valid signature of one of the formats it checks (`trustPolicy`: Notation JWS or COSE; `keys`:
 * cosign `.sig` or bundle; `keyring`: GPG).
 */
export type TrustInput = 'trustPolicy' | 'keys' | 'keyring';

/** containers policy.json requirement types that judge a format's signatures when a policy is given. */
export type PolicyJudge = 'signedBy' | 'sigstoreSigned';

/** Where verify looked, for a format's "none found" reason. */
export interface SearchPlace {
  target: PlainDescriptor;
  identity?: DockerReference;
  lookaside?: string;
}

export interface FormatVerification {
  /** The format's id: the `sign --format` / `verify --format` name and the verdicts' `format`. */
  readonly id: string;
  /** The trust input that checks this format's signatures (and, given, requires one of them). */
  readonly trustedBy: TrustInput;
  /**
   * With a containers policy.json, the requirement type that judges this format's signatures
   * instead of `trustedBy` (`signedBy` for GPG, `sigstoreSigned` for cosign `.sig`).
   */
  readonly judgedByPolicy?: PolicyJudge;
  /**
   * The reason a requirement met by the formats `accepted` (this one first, then others checked by
   * the same trust input) found no signature.
   */
  noneFound(accepted: readonly string[], place: SearchPlace): string;
  /**
   * The target's signatures of this format, in the layout (referrers, tags) or outside it (GPG's
   * lookaside). A signature that cannot be read is still found: its check makes it invalid.
   * Runs for every format, checked or not (verify notes signatures it could not check).
   */
  find(search: SignatureSearch): Promise<FoundSignature[]>;
  /** With `judgedByPolicy`: a found signature as the containers policy evaluator reads it. */
  policyInput?(found: FoundSignature): PolicySignatureInput;
  /** Loads the checker (dynamic import: nothing is loaded until a signature is checked). */
  load(): Promise<SignatureChecker>;
}

/** Where to look for the signatures of one target. */
export interface SignatureSearch {
  /** The layout, read-only (every blob read is digest- and size-checked). */
  layout: Layout;
  graph: LayoutGraph;
  target: PlainDescriptor;
  /** The target's referrers (manifests whose subject it is), in index.json order; each format picks its own. */
  referrers: GraphNode[];
  /** The user's --identity (GPG's lookaside path is named by it). */
  identity?: DockerReference;
  /** The GPG lookaside directory, when given. */
  lookaside?: string;
}

/** One signature a format found; the format's own fields ride along for its `check`. */
export interface FoundSignature {
  /** The format id that found it. */
  format: string;
  /** How the report names it: a signature manifest digest, `<digest> layer <n>`, a lookaside file. */
  name: string;
}

/** The user's trust material, read and parsed before the layout was opened: all a check may trust. */
export interface VerificationTrust {
  /** The normalized --identity. */
  identity?: DockerReference;
  /** Notation: the trust policy and the statement that applies to the identity. */
  trustPolicy?: NotationTrustPolicy;
  statement?: TrustPolicyStatement;
  /** Notation: a trust store directory or its certificates by `type:name`. */
  trustStore?: string | Record<string, Uint8Array[]>;
  /** Notation: CRL files, directories or bytes. */
  crls?: ReadonlyArray<string | Uint8Array>;
  /** cosign: the accepted public keys. */
  keys?: VerificationKey[];
  /** GPG: the accepted keys and where the signatures are. */
  keyring?: KeyringKey[];
  lookaside?: string;
  now?: Date;
}

/** What one check may use besides the trust material. */
export interface CheckContext {
  layout: Layout;
  target: PlainDescriptor;
  /** The target manifest's raw bytes (its digest is the target's). */
  manifest: Uint8Array;
  trust: VerificationTrust;
  /** Runs `make` once per verify run and `key` (a trust store opened once for many signatures). */
  once<T>(key: string, make: () => Promise<T>): Promise<T>;
}

export interface SignatureChecker {
  /**
   * One signature's verdict under the trust material; verify calls it only when the format's trust
   * input was given. The verdict's `format` is the format's id.
   */
  check(found: FoundSignature, context: CheckContext): Promise<SignatureVerdict>;
}
