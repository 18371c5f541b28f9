/**
 * The key option group, defined once: every command that opens a key (sign, cert create, key
 * export) takes the same --key, --cert, --module, --pin-file and --password-file, listed together
 * under "Key options:" in --help, and turns them into openKey's options the same way.
 */
import type { Argv, Options } from 'yargs';
import type { OpenKeyOptions } from '../keys/open-key.js';
import type { CommandContext } from './command.js';

export type KeyOptionName = 'key' | 'cert' | 'module' | 'pin-file' | 'password-file';

/** The group's values as yargs parses them (camel-case aliases included). */
export interface KeyArgs {
  key?: string | undefined;
  cert?: string | undefined;
  module?: string | undefined;
  pinFile?: string | undefined;
  passwordFile?: string | undefined;
}

const KEY_OPTIONS_GROUP = 'Key options:';

const DEFINITIONS: Record<KeyOptionName, Options> = {
  key: { type: 'string', describe: 'The key: a pkcs11: URI (HSM) or a private key file' },
  cert: { type: 'string', describe: "PEM certificate chain, leaf first (instead of the token's)" },
  module: {
    type: 'string',
    describe: 'PKCS#11 module (.so/.dll) when the pkcs11: URI has no module-path (default $AIRSIGN_PKCS11_MODULE or $COSIGN_PKCS11_MODULE_PATH)',
  },
  'pin-file': {
    type: 'string',
    describe: 'File holding the token PIN when the URI has no pin-source/pin-value (else $AIRSIGN_PKCS11_PIN, $COSIGN_PKCS11_PIN or a prompt)',
  },
  'password-file': { type: 'string', describe: 'File holding the passphrase of an encrypted key file' },
};

const ORDER: KeyOptionName[] = ['key', 'cert', 'module', 'pin-file', 'password-file'];

export interface KeyOptionsSpec {
  /** Members of the group this command leaves out (e.g. cert create writes the certificate, so no --cert). */
  omit?: KeyOptionName[];
  /** --key must be given (marked [required] in --help). */
  requireKey?: boolean;
  /** Command-specific wording for a member (the type and the group stay the same). */
  describe?: Partial<Record<KeyOptionName, string>>;
}

/** Adds the key option group to a command's options. */
export function withKeyOptions<T>(yargs: Argv<T>, spec: KeyOptionsSpec = {}): Argv<T & KeyArgs> {
  const names = ORDER.filter((name) => !(spec.omit ?? []).includes(name));
  let built = yargs as Argv<T & KeyArgs>;
  for (const name of names) {
    const describe = spec.describe?.[name];
    built = built.option(name, {
      ...DEFINITIONS[name],
      ...(describe === undefined ? {} : { describe }),
      ...(name === 'key' && spec.requireKey === true ? { demandOption: true } : {}),
    });
  }
  return built.group(names, KEY_OPTIONS_GROUP);
}

/**
 * openKey's options from the group's values (the key itself is args.key) and the run: where secrets
 * come from, and with --debug each PKCS#11 retry logged.
 */
export function openKeyOptionsFrom(args: KeyArgs, context: Pick<CommandContext, 'secrets' | 'debug' | 'log'>): Omit<OpenKeyOptions, 'interactive'> {
  return {
    ...context.secrets,
    ...(context.debug
      ? { onPkcs11Retry: (e) => context.log(`debug: ${e.operation}: attempt ${e.attempt} failed (${e.reason}); retrying in ${e.delayMs} ms`) }
      : {}),
    ...(args.cert === undefined ? {} : { certificatePath: args.cert }),
    ...(args.module === undefined ? {} : { modulePath: args.module }),
    ...(args.pinFile === undefined ? {} : { pinFile: args.pinFile }),
    ...(args.passwordFile === undefined ? {} : { passwordFile: args.passwordFile }),
  };
}
