/**
 * `key export` as a library operation: the public key of an HSM or file key as SPKI PEM (what
 * cosign verify --key takes) or as an OpenPGP transferable public key, to a file or returned.
 */
import { existsSync } from 'node:fs';
import { airsignError } from '../errors.js';
import { refuseOverwritingInputs } from '../fs/distinct-files.js';
import { checkOutputTarget } from '../fs/output-target.js';
import { keyInputFiles } from '../keys/key-input-files.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { KeyBackend } from '../key-backend.js';
import { publicKeyPem, spkiFingerprint } from '../keys/export-public-key.js';
import { isPkcs11Spec } from '../keys/key-spec.js';
import { keyTypeOfSpki } from '../keys/signature-encoding.js';
import { openKey, type OpenKeyOptions } from '../keys/open-key.js';
import { exportOpenPgpPublicKey, openPgpFingerprint } from '../formats/openpgp/export-public-key.js';

/** What exportPublicKey writes: SPKI PEM (pem, cosign) or an OpenPGP public key. */
export const EXPORT_FORMATS = ['pem', 'cosign', 'openpgp'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportPublicKeyOptions {
  /** pem / cosign: SPKI "PUBLIC KEY" PEM; openpgp: OpenPGP public key (needs userId). Default pem. */
  as?: ExportFormat;
  /** OpenPGP user ID, e.g. "Release Signing <release@example.com>". */
  userId?: string;
  /** ASCII-armor the OpenPGP key (default: on without `output` and for .asc files, binary otherwise). */
  armor?: boolean;
  /** Write the key to this file (atomically, mode 0644); without it the key is returned as text. */
  output?: string;
  /** Replace an existing output file (default: refuse, OUTPUT_EXISTS). Never the key's own files. */
  force?: boolean;
  /** How to open `key` when it is a spec. */
  keyOptions?: OpenKeyOptions;
}

export interface ExportPublicKeyResult {
  /** The key's secret-free description. */
  key: string;
  keyType: string;
  format: ExportFormat;
  /** SHA-256 of the SPKI DER, hex. */
  fingerprint: string;
  /** OpenPGP v4 fingerprint (format openpgp). */
  openPgpFingerprint?: string;
  /** The file written (with `output`). */
  output?: string;
  /** The key as text (without `output`). */
  publicKey?: string;
}

/**
 * Exports the public key of `key` (a `pkcs11:` URI or key file, or an open backend the caller owns
 * and closes). Refuses binary OpenPGP output without `output`.
 */
export async function exportPublicKey(key: string | KeyBackend, options: ExportPublicKeyOptions = {}): Promise<ExportPublicKeyResult> {
  const format = options.as ?? 'pem';
  if (format === 'openpgp' && (options.userId === undefined || options.userId === '')) {
    throw airsignError('USER_ID_REQUIRED', 'options.as openpgp needs options.userId "Name <email>"', { details: { option: 'userId' } });
  }
  const armor = format === 'openpgp' ? (options.armor ?? (options.output === undefined || /\.asc$/i.test(options.output))) : true;
  if (options.output === undefined && !armor) throw airsignError('OUTPUT_REQUIRED', 'binary OpenPGP output needs options.output (or options.armor)', { details: { option: 'output' } });
  if (options.output !== undefined) {
    await refuseOverwritingInputs([{ path: options.output, what: 'options.output' }], keyInputFiles(typeof key === 'string' ? key : undefined, options.keyOptions ?? {}));
    await checkOutputTarget(options.output);
    if (options.force !== true && existsSync(options.output)) {
      throw airsignError('OUTPUT_EXISTS', `${options.output} already exists (use options.force to replace it)`, { details: { path: options.output, option: 'force' } });
    }
  }
  let data: string | Uint8Array;
  let result: ExportPublicKeyResult;
  if (format !== 'openpgp' && typeof key === 'string' && isPkcs11Spec(key)) {
    // The public key alone needs no login: read the token's public key object or certificate, as
    // verify --key pkcs11: does (a token that hides them asks for the PIN and says why).
    const { readPkcs11PublicKey } = await import('../keys/pkcs11/pkcs11-public-key.js');
    const keyOptions = options.keyOptions ?? {};
    const found = await readPkcs11PublicKey(key, { ...keyOptions, ...(keyOptions.onPkcs11Retry === undefined ? {} : { onRetry: keyOptions.onPkcs11Retry }) });
    data = publicKeyPem(found.spki);
    result = { key: found.description, keyType: keyTypeOfSpki(found.spki), format, fingerprint: spkiFingerprint(found.spki) };
  } else {
    const backend = typeof key === 'string' ? await openKey(key, options.keyOptions) : key;
    try {
      const spki = await backend.publicKeySpki();
      if (format === 'openpgp') {
        const bytes = await exportOpenPgpPublicKey(backend, { userId: options.userId as string, armor });
        data = armor ? new TextDecoder().decode(bytes) : bytes;
      } else {
        data = publicKeyPem(spki);
      }
      result = {
        key: backend.description,
        keyType: backend.keyType,
        format,
        fingerprint: spkiFingerprint(spki),
        ...(format === 'openpgp' ? { openPgpFingerprint: await openPgpFingerprint(backend) } : {}),
      };
    } finally {
      if (typeof key === 'string') await backend.close();
    }
  }
  if (options.output !== undefined) {
    await writeFileAtomic(options.output, data, { mode: 0o644, exclusive: options.force !== true });
    return { ...result, output: options.output };
  }
  return { ...result, publicKey: data as string };
}
