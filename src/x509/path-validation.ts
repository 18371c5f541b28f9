/**
 * Certificate path validation, one module for every chain a verifier meets (Notation TSA tokens
 * today; cosign certificates later): from a leaf, through the intermediates offered, to a trusted
 * root given by the caller. Issuers are found by name and confirmed by signature (never by name
 * alone: a leaf may carry its root's subject), every certificate must be valid at `at`, every
 * issuer a CA with keyCertSign and a path length that allows the chain below it.
 */
import { X509Certificate } from 'node:crypto';
import { airsignError } from '../errors.js';
import { parseCertificate, type CertificateInfo } from './certificate-info.js';

export interface PathValidationOptions {
  /** Certificates that may complete the path (e.g. those in a CMS token), DER. */
  intermediates: Uint8Array[];
  /** Trust anchors, DER. A path must end at one of them (byte-equal, or issued by one). */
  roots: Uint8Array[];
  /** Every certificate of the path must be valid at this time. */
  at: Date;
}

export interface ValidatedPath {
  /** Leaf first, trust anchor last (DER). */
  chain: Uint8Array[];
}

const MAX_DEPTH = 10;

/** Builds and checks a path from `leaf` to a root; throws verification CERT_PATH_INVALID naming why. */
export function validateCertificatePath(leaf: Uint8Array, options: PathValidationOptions): ValidatedPath {
  const fail = (message: string): never => {
    throw airsignError('CERT_PATH_INVALID', message);
  };
  if (options.roots.length === 0) fail('no trusted root certificate is configured');
  const parse = (der: Uint8Array) => ({ der, info: parseCertificate(der), x509: new X509Certificate(der) });
  type Node = ReturnType<typeof parse>;
  const roots = options.roots.map(parse);
  const pool = options.intermediates.map(parse);
  const start = parse(leaf);
  let lastError = 'no path to a trusted root certificate was found';

  const issuedBy = (child: Node, issuer: Node): boolean => {
    if (!bytesEqual(child.info.issuerDer, issuer.info.subjectDer)) return false;
    try {
      return child.x509.verify(issuer.x509.publicKey);
    } catch {
      return false;
    }
  };
  const validAt = (node: Node): boolean => options.at >= node.info.notBefore && options.at <= node.info.notAfter;
  const search = (path: Node[]): Node[] | undefined => {
    const current = path[path.length - 1]!;
    if (!validAt(current)) {
      lastError = `certificate "${current.info.subject}" is not valid at ${options.at.toISOString()} (valid ${current.info.notBefore.toISOString()} to ${current.info.notAfter.toISOString()})`;
      return undefined;
    }
    if (roots.some((r) => bytesEqual(r.der, current.der))) return path;
    const anchor = roots.find((r) => issuedBy(current, r));
    if (anchor !== undefined) {
      const caProblem = caFailure(anchor.info, path.length - 1);
      if (caProblem === undefined && validAt(anchor)) return [...path, anchor];
      lastError = caProblem ?? `root certificate "${anchor.info.subject}" is not valid at ${options.at.toISOString()}`;
      return undefined;
    }
    if (path.length >= MAX_DEPTH) return undefined;
    for (const candidate of pool) {
      if (path.some((p) => bytesEqual(p.der, candidate.der)) || !issuedBy(current, candidate)) continue;
      const caProblem = caFailure(candidate.info, path.length - 1);
      if (caProblem !== undefined) {
        lastError = caProblem;
        continue;
      }
      const found = search([...path, candidate]);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  const path = search([start]);
  if (path === undefined) return fail(lastError);
  return { chain: path.map((n) => n.der) };
}

function caFailure(info: CertificateInfo, intermediatesBelow: number): string | undefined {
  const bc = info.basicConstraints;
  if (bc === undefined || !bc.ca) return `issuing certificate "${info.subject}" is not a CA`;
  if (bc.pathLength !== undefined && bc.pathLength < intermediatesBelow) return `issuing certificate "${info.subject}" allows a path length of ${bc.pathLength}, the chain needs ${intermediatesBelow}`;
  if (info.keyUsage !== undefined && !info.keyUsage.usages.includes('keyCertSign')) return `issuing certificate "${info.subject}" lacks the keyCertSign key usage`;
  return undefined;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
