/**
 * `key list` as a library operation: the initialized tokens of a PKCS#11 module and, per token,
 * its keys and certificates with the URI that names each.
 */
import { listObjects, listTokens, type Pkcs11TokenContents } from '../keys/pkcs11/pkcs11-inventory.js';
import { airsignError } from '../errors.js';
import type { SecretSources } from '../keys/secret-source.js';

export interface ListKeysOptions extends SecretSources {
  /** Only this token (exact label); logs in to it when a PIN source exists (or promptSecret). */
  token?: string;
  /** File holding the PIN. */
  pinFile?: string;
  /** Log in (default: with `token` when a PIN is available; without `token`, no login). */
  login?: boolean;
  /** The module's init string (C_Initialize pReserved), e.g. NSS softokn's configuration. */
  moduleInitArgs?: string;
}

export interface ListKeysResult {
  /** The module path used. */
  module: string;
  tokens: Pkcs11TokenContents[];
}

/**
 * Lists what the PKCS#11 module at `modulePath` holds: every initialized token, or just
 * `options.token`.
 */
export async function listKeys(modulePath: string, options: ListKeysOptions = {}): Promise<ListKeysResult> {
  if (modulePath === '') throw airsignError('PKCS11_MODULE_REQUIRED', 'no PKCS#11 module given');
  const common = {
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.trailingSpaceIsSecret === undefined ? {} : { trailingSpaceIsSecret: options.trailingSpaceIsSecret }),
    ...(options.pinFile === undefined ? {} : { pinFile: options.pinFile }),
    ...(options.moduleInitArgs === undefined ? {} : { moduleInitArgs: options.moduleInitArgs }),
  };
  const tokens: Pkcs11TokenContents[] = [];
  if (options.token !== undefined) {
    tokens.push(
      await listObjects(modulePath, { label: options.token }, {
        ...common,
        ...(options.promptSecret === undefined ? {} : { promptSecret: options.promptSecret }),
        ...(options.login === undefined ? {} : { login: options.login }),
      }),
    );
  } else {
    // Every token: never prompt once per token; log in only when asked to.
    for (const token of listTokens(modulePath, options.env, options.moduleInitArgs)) {
      tokens.push(await listObjects(modulePath, { label: token.label }, { ...common, login: options.login === true }));
    }
  }
  return { module: modulePath, tokens };
}
