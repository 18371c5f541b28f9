/**
 * The signer seam, shared by keys/ (backends) and x509/ (certificates signed by a backend) so
 * neither imports the other for these types. Every signature format signs through a KeyBackend; backends (PKCS#11, file)
 * never see a format. Hashing happens on our side: a backend signs a *digest* for ECDSA and RSA
 * (many HSMs, SoftHSM among them, sign digests only) and the whole message for Ed25519.
 */

export type KeyType =
  | 'ecdsa-p256'
  | 'ecdsa-p384'
  | 'ecdsa-p521'
  | 'rsa-2048'
  | 'rsa-3072'
  | 'rsa-4096'
  | 'ed25519';

export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';

/** How to sign. The message is hashed with `hash` by the caller of the backend (see signMessage). */
export type SignatureScheme =
  /** ECDSA; `encoding` raw = fixed-width r‖s (JWS, COSE), der = ASN.1 SEQUENCE (cosign, sigstore). */
  | { algorithm: 'ecdsa'; hash: HashAlgorithm; encoding: 'raw' | 'der' }
  /** RSASSA-PSS, MGF1 with the same hash, salt length = hash length (Notation). */
  | { algorithm: 'rsa-pss'; hash: HashAlgorithm }
  /** RSASSA-PKCS1-v1_5 (cosign, OpenPGP). */
  | { algorithm: 'rsa-pkcs1'; hash: HashAlgorithm }
  /** Pure Ed25519 over the whole message. */
  | { algorithm: 'ed25519' };

export interface KeyBackend {
  /** Human-readable, secret-free description, e.g. "pkcs11:token=rel;object=signer" or a file path. */
  readonly description: string;
  readonly keyType: KeyType;
  /** SubjectPublicKeyInfo, DER. */
  publicKeySpki(): Promise<Uint8Array>;
  /** X.509 chain, leaf first, DER; empty when the backend has none. */
  certificateChain(): Promise<Uint8Array[]>;
  /**
   * Signs `message` (hashing it here unless the scheme is Ed25519) and returns the signature in
   * the scheme's encoding (ECDSA raw r‖s or DER as asked; RSA as the modulus-length octet string).
   */
  sign(message: Uint8Array, scheme: SignatureScheme): Promise<Uint8Array>;
  /**
   * Signs a digest the caller computed with `scheme.hash` (ECDSA and RSA schemes only; Ed25519
   * has no digest form and throws KEY_SCHEME_UNSUPPORTED).
   */
  signDigest(digest: Uint8Array, scheme: Exclude<SignatureScheme, { algorithm: 'ed25519' }>): Promise<Uint8Array>;
  /** Releases sessions/handles. Safe to call twice. */
  close(): Promise<void>;
}
