/** What both envelope formats carry, in one shape, and the header names they share. */
import type { NotationAlgorithm } from './notation-algorithm.js';

export const Header = {
  SigningScheme: 'io.cncf.notary.signingScheme',
  SigningTime: 'io.cncf.notary.signingTime',
  AuthenticSigningTime: 'io.cncf.notary.authenticSigningTime',
  Expiry: 'io.cncf.notary.expiry',
  SigningAgent: 'io.cncf.notary.signingAgent',
  TimestampSignature: 'io.cncf.notary.timestampSignature',
} as const;

export type SigningScheme = 'notary.x509' | 'notary.x509.signingAuthority';

/** An envelope taken apart but not yet checked. */
export interface ParsedNotationEnvelope {
  algorithm: NotationAlgorithm;
  contentType: string;
  signingScheme: SigningScheme;
  /** signingTime for notary.x509, authenticSigningTime for signingAuthority. */
  signingTime: Date;
  expiry?: Date;
  /** The header names listed as critical, in order. */
  critical: string[];
  /** All protected header names present. */
  protectedNames: string[];
  payload: Uint8Array;
  /** The exact bytes the signature covers. */
  signedBytes: Uint8Array;
  signature: Uint8Array;
  chain: Uint8Array[];
  signingAgent?: string;
  timestampToken?: Uint8Array;
  /** JWS verifiers accept any RSASSA-PSS salt length; COSE requires salt = hash length. */
  pssSalt: 'any' | 'hash-length';
}

/** Throws the format's own malformed error. */
export type Malformed = (message: string) => never;
