/**
 * The one entry point formats and commands use to get a signer: a `pkcs11:` URI opens an HSM key,
 * anything else is a private key file.
 */
import type { KeyBackend } from '../key-backend.js';
import type { Pkcs11RetryEvent } from './pkcs11/transient-retry.js';
import { assertLeafMatchesKey, readCertificateChain } from './certificate-file.js';
import { openFileKey } from './file-key.js';
import { assertNotMistypedPkcs11Uri, isPkcs11Spec } from './key-spec.js';
import { secretSourcesOf, type SecretSources } from './secret-source.js';

/**
 * How openKey finds what a key needs. The library reads no environment and never prompts by
 * itself: pass `env` (the CLI passes process.env) and `promptSecret` (the CLI passes its terminal
 * prompt) to allow those sources; without them only files and the URI are used.
 */
export interface OpenKeyOptions extends SecretSources {
  /** --cert: PEM chain (leaf first) overriding the token's certificate object. */
  certificatePath?: string;
  /** File holding the passphrase of an encrypted key file. */
  passwordFile?: string;
  /** File holding the PKCS#11 PIN (when the URI has no pin-value / pin-source). */
  pinFile?: string;
  /** PKCS#11 module used when the URI has no module-path (before AIRSIGN_PKCS11_MODULE / COSIGN_PKCS11_MODULE_PATH in env). */
  modulePath?: string;
  /** Told about each retry of PKCS#11 token discovery on a transient answer (for debug output). */
  onPkcs11Retry?: (event: Pkcs11RetryEvent) => void;
}

export { assertNotMistypedPkcs11Uri, isPkcs11Spec, keySpecWarnings } from './key-spec.js';

/**
 * Opens a signing key: a `pkcs11:` URI (RFC 7512) opens an HSM key, anything else is a private key
 * file (PKCS#8/SEC1/PKCS#1 PEM, encrypted PEM, or a cosign key). Close the backend when done.
 */
export async function openKey(spec: string, options: OpenKeyOptions = {}): Promise<KeyBackend> {
  assertNotMistypedPkcs11Uri(spec);
  const chain = options.certificatePath === undefined ? undefined : await readCertificateChain(options.certificatePath);
  const common = {
    ...secretSourcesOf(options),
    ...(chain === undefined ? {} : { certificateChain: chain }),
  };
  if (isPkcs11Spec(spec)) {
    // PKCS#11 code (koffi, sessions, URI parsing) loads only for a pkcs11: URI.
    const { openPkcs11Key } = await import('./pkcs11/pkcs11-key.js');
    return openPkcs11Key(spec, {
      ...common,
      ...(options.pinFile === undefined ? {} : { pinFile: options.pinFile }),
      ...(options.modulePath === undefined ? {} : { modulePath: options.modulePath }),
      ...(options.onPkcs11Retry === undefined ? {} : { onRetry: options.onPkcs11Retry }),
    });
  }
  const backend = await openFileKey(spec, { ...common, ...(options.passwordFile === undefined ? {} : { passwordFile: options.passwordFile }) });
  if (chain !== undefined && chain.length > 0) assertLeafMatchesKey(chain[0] as Uint8Array, await backend.publicKeySpki(), `in ${options.certificatePath ?? ''}`);
  return backend;
}
