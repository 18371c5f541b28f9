/**
 * `key generate` as a library operation: a new file key written as PKCS#8 PEM, or in cosign's
 * encrypted format with its `.pub` beside it (private key first; the private key is removed again
 * when the public key cannot be written, so a failure leaves neither).
 */
import { removePath } from '../fs/platform-fs.js';
import { airsignError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { refuseOverwritingInputs } from '../fs/distinct-files.js';
import { PASSPHRASE_ENV } from '../keys/file-key.js';
import { generateKeyPair, type GenerateKeyType } from '../keys/generate-key.js';
import { resolveSecret, secretSourcesOf, type SecretSources } from '../keys/secret-source.js';

export interface GenerateKeyFilesOptions extends SecretSources {
  /** Private key file to write (mode 0600). */
  output: string;
  /** Encrypt in cosign's format and also write the public key (`<output>.pub`, .pem/.key replaced). */
  cosign?: boolean;
  /**
   * File holding the cosign password; else AIRSIGN_KEY_PASSWORD / COSIGN_PASSWORD in `env`, else
   * `promptSecret` (asked twice).
   */
  passwordFile?: string;
  /** Replace existing files (default: fail with OUTPUT_EXISTS). */
  force?: boolean;
  /** Whose file-permission rules apply (default: this process's platform); on win32 a warning says the mode does not protect the key. */
  platform?: NodeJS.Platform;
}

export interface GenerateKeyFilesResult {
  keyType: GenerateKeyType;
  format: 'cosign' | 'pkcs8';
  privateKey: string;
  publicKey?: string;
  /** For the caller to show: on Windows mode 0600 only sets read-only, the key file inherits its folder's access list. */
  warnings?: string[];
}

/** The warning for a private key file written on `platform` (none where mode 0600 keeps other users out). */
function privateKeyFileWarnings(path: string, cosign: boolean, platform: NodeJS.Platform): string[] {
  if (platform !== 'win32') return [];
  return [cosign
    ? `on Windows ${path} is not limited to you (mode 0600 only sets read-only; the file inherits its folder's access list); it is encrypted, keep the password apart`
    : `on Windows ${path} is not limited to you (mode 0600 only sets read-only; the file inherits its folder's access list): keep it in a folder only you can read, or use --cosign for an encrypted key`];
}

/** Where the public key of a cosign key pair goes: cosign.key -> cosign.pub, x -> x.pub. */
function publicKeyPathFor(output: string): string {
  return /\.(pem|key)$/i.test(output) ? output.replace(/\.(pem|key)$/i, '.pub') : `${output}.pub`;
}

/** Generates a `type` key and writes it (and its public key with `cosign`). */
export async function generateKeyFiles(type: GenerateKeyType, options: GenerateKeyFilesOptions): Promise<GenerateKeyFilesResult> {
  const pubPath = options.cosign === true ? publicKeyPathFor(options.output) : undefined;
  if (pubPath === options.output) throw airsignError('OUTPUT_CONFLICT', 'the public key file would overwrite the private key; choose another options.output', { details: { option: 'output' } });
  await refuseOverwritingInputs(
    [{ path: options.output, what: 'options.output' }, ...(pubPath === undefined ? [] : [{ path: pubPath, what: 'the public key file' }])],
    options.passwordFile === undefined ? [] : [{ path: options.passwordFile, what: 'options.passwordFile' }],
  );
  let password: string | undefined;
  if (options.cosign === true) {
    password = await resolveSecret({
      what: 'password for the new cosign key',
      missingCode: 'KEY_PASSPHRASE_REQUIRED',
      envNames: PASSPHRASE_ENV,
      allowEmpty: true,
      confirm: true,
      ...(options.passwordFile === undefined ? {} : { file: options.passwordFile }),
      ...secretSourcesOf(options),
    });
  }
  const pair = await generateKeyPair(type, password === undefined ? {} : { cosign: password });
  const exclusive = options.force !== true;
  await writeFileAtomic(options.output, pair.privateKeyPem, { mode: 0o600, exclusive });
  if (pubPath !== undefined) {
    try {
      await writeFileAtomic(pubPath, pair.publicKeyPem, { mode: 0o644, exclusive });
    } catch (error) {
      await removePath(options.output).catch(() => undefined);
      throw error;
    }
  }
  const warnings = privateKeyFileWarnings(options.output, options.cosign === true, options.platform ?? process.platform);
  return {
    keyType: type,
    format: options.cosign === true ? 'cosign' : 'pkcs8',
    privateKey: options.output,
    ...(pubPath === undefined ? {} : { publicKey: pubPath }),
    ...(warnings.length === 0 ? {} : { warnings }),
  };
}
