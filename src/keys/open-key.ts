/**
 * The one entry point formats and commands use to get a signer: a `pkcs11:` URI opens an HSM key,
 * anything else is a private key file.
 */
import type { KeyBackend } from './key-backend.js';
import type { Pkcs11RetryEvent } from './pkcs11/transient-retry.js';
import { assertLeafMatchesKey, readCertificateChain } from './certificate-file.js';
import { openFileKey } from './file-key.js';

export interface OpenKeyOptions {
  /** --cert: PEM chain (leaf first) overriding the token's certificate object. */
  certificatePath?: string;
  /** File holding the passphrase of an encrypted key file. */
  passwordFile?: string;
  /** File holding the PKCS#11 PIN (when the URI has no pin-value / pin-source). */
  pinFile?: string;
  /** Environment for AIRSIGN_* / COSIGN_* lookups (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Allow a TTY prompt (default: stdin is a TTY). */
  interactive?: boolean;
  /** Told about each retry of PKCS#11 token discovery on a transient answer (for debug output). */
  onPkcs11Retry?: (event: Pkcs11RetryEvent) => void;
}

/** True when `spec` is a PKCS#11 URI rather than a file path. */
export function isPkcs11Spec(spec: string): boolean {
  return /^pkcs11:/i.test(spec);
}

export async function openKey(spec: string, options: OpenKeyOptions = {}): Promise<KeyBackend> {
  const chain = options.certificatePath === undefined ? undefined : await readCertificateChain(options.certificatePath);
  const common = {
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.interactive === undefined ? {} : { interactive: options.interactive }),
    ...(chain === undefined ? {} : { certificateChain: chain }),
  };
  if (isPkcs11Spec(spec)) {
    // PKCS#11 code (pkcs11js, sessions, URI parsing) loads only for a pkcs11: URI.
    const { openPkcs11Key } = await import('./pkcs11/pkcs11-key.js');
    return openPkcs11Key(spec, {
      ...common,
      ...(options.pinFile === undefined ? {} : { pinFile: options.pinFile }),
      ...(options.onPkcs11Retry === undefined ? {} : { onRetry: options.onPkcs11Retry }),
    });
  }
  const backend = await openFileKey(spec, { ...common, ...(options.passwordFile === undefined ? {} : { passwordFile: options.passwordFile }) });
  if (chain !== undefined && chain.length > 0) assertLeafMatchesKey(chain[0] as Uint8Array, await backend.publicKeySpki(), `in ${options.certificatePath ?? ''}`);
  return backend;
}
