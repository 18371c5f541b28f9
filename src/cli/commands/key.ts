/**
 * `airsign key list|export|generate`: thin CLI over src/keys (inventory of a PKCS#11 module,
 * public-key export, new file keys).
 */
import type { Argv, CommandModule } from 'yargs';
import { defineCommand, type GlobalOptions } from '../command.js';
import { airsignError } from '../../errors.js';
import { openKey } from '../../keys/open-key.js';
import { exportPublicKeyPem, spkiFingerprint } from '../../keys/export-public-key.js';
import { writeFileAtomic } from '../../fs/atomic-write.js';
import { GENERATE_KEY_TYPES, generateKeyPair } from '../../keys/generate-key.js';
import { PASSPHRASE_ENV } from '../../keys/file-key.js';
import { resolveSecret } from '../../keys/secret-source.js';
import { listObjects, listTokens, type Pkcs11TokenContents } from '../../keys/pkcs11/pkcs11-inventory.js';
import { exportOpenPgpPublicKey, openPgpFingerprint } from '../../formats/openpgp/export-public-key.js';
import { resolveModulePath } from '../../keys/pkcs11/pkcs11-session-manager.js';

// ---------- key list ----------

const listCommand = defineCommand({
  command: 'list',
  describe: 'List the tokens of a PKCS#11 module and their keys and certificates, with the URI to use',
  builder: (yargs) =>
    yargs
      .option('module', { type: 'string', describe: 'PKCS#11 module (.so/.dll); default $AIRSIGN_PKCS11_MODULE or $COSIGN_PKCS11_MODULE_PATH' })
      .option('token', { type: 'string', describe: 'Only this token (exact label); logs in to see private keys' })
      .option('pin-file', { type: 'string', describe: 'File holding the PIN (else $AIRSIGN_PKCS11_PIN, $COSIGN_PKCS11_PIN or a prompt)' })
      .option('login', { type: 'boolean', describe: 'Log in to the token (default: with --token when a PIN is available)' }),
  examples: [
    ['$0 key list --module /usr/lib/softhsm/libsofthsm2.so', 'List tokens and their public objects'],
    ['AIRSIGN_PKCS11_PIN=… $0 key list --module /usr/lib/softhsm/libsofthsm2.so --token release --json', 'Keys and certificates on token "release"'],
  ],
  run: async (args) => {
    const modulePath = resolveModulePath(args.module);
    const env = process.env;
    const interactive = Boolean(process.stdin.isTTY);
    const contents: Pkcs11TokenContents[] = [];
    if (args.token !== undefined) {
      contents.push(
        await listObjects(modulePath, { label: args.token }, {
          env,
          interactive,
          ...(args.pinFile === undefined ? {} : { pinFile: args.pinFile }),
          ...(args.login === undefined ? {} : { login: args.login }),
        }),
      );
    } else {
      for (const token of listTokens(modulePath, env)) {
        contents.push(
          await listObjects(modulePath, { label: token.label }, {
            env,
            ...(args.pinFile === undefined ? {} : { pinFile: args.pinFile }),
            login: args.login === true,
          }),
        );
      }
    }
    return { json: { module: modulePath, tokens: contents }, text: formatListing(modulePath, contents) };
  },
});

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => `    ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd());
}

function formatListing(modulePath: string, contents: Pkcs11TokenContents[]): string {
  const lines = [`Module ${modulePath}`];
  if (contents.length === 0) lines.push('  (no initialized tokens)');
  for (const c of contents) {
    const t = c.token;
    lines.push(
      '',
      `  Token "${t.label}"  slot ${t.slotId}  ${t.manufacturer} ${t.model}  serial ${t.serial}${t.pinLocked ? '  PIN LOCKED' : ''}`,
      `    ${t.uri}`,
      `    ${c.loggedIn ? 'logged in' : 'not logged in: private keys are hidden (give --token with a PIN, or --login)'}`,
    );
    if (c.keys.length > 0) {
      lines.push('  Keys');
      lines.push(
        ...table([
          ['ID', 'LABEL', 'TYPE', 'BITS', 'OBJECTS', 'URI'],
          ...c.keys.map((k) => [
            k.id || '-',
            k.label ?? '-',
            k.keyType ?? 'unsupported',
            k.bits === null ? '-' : String(k.bits),
            [k.hasPrivateKey ? 'private' : '', k.hasPublicKey ? 'public' : '', k.hasCertificate ? 'cert' : ''].filter(Boolean).join('+'),
            k.uri,
          ]),
        ]),
      );
    } else {
      lines.push('  Keys: none visible');
    }
    if (c.certificates.length > 0) {
      lines.push('  Certificates');
      lines.push(
        ...table([
          ['ID', 'LABEL', 'SUBJECT', 'NOT AFTER'],
          ...c.certificates.map((x) => [x.id || '-', x.label ?? '-', x.subject ?? '(not X.509)', x.notAfter ?? '-']),
        ]),
      );
    }
  }
  return lines.join('\n');
}

// ---------- key export ----------

const EXPORT_FORMATS = ['pem', 'cosign', 'openpgp'] as const;

const exportCommand = defineCommand({
  command: 'export <key>',
  describe: 'Export the public key of an HSM or file key',
  builder: (yargs) =>
    yargs
      .positional('key', { type: 'string', demandOption: true, describe: 'pkcs11: URI or private key file' })
      .option('as', { choices: EXPORT_FORMATS, default: 'pem' as const, describe: 'pem/cosign: SPKI "PUBLIC KEY" PEM; openpgp: transferable OpenPGP public key' })
      .option('user-id', { type: 'string', describe: 'OpenPGP user ID, e.g. "Release Signing <release@example.com>" (--as openpgp)' })
      .option('output', { alias: 'o', type: 'string', describe: 'Write to this file (default: stdout)' })
      .option('armor', { type: 'boolean', describe: 'ASCII-armor the OpenPGP key (default: on for stdout and .asc files, binary otherwise)' })
      .option('pin-file', { type: 'string', describe: 'File holding the PKCS#11 PIN' })
      .option('password-file', { type: 'string', describe: 'File holding the key file passphrase' }),
  examples: [
    ["$0 key export 'pkcs11:token=release;object=signer?module-path=/usr/lib/softhsm/libsofthsm2.so' --as cosign -o cosign.pub", 'SPKI PEM for cosign verify --key'],
    ['$0 key export key.pem --output key.pub', 'Public key of a file key'],
    ["$0 key export 'pkcs11:token=release;object=signer' --as openpgp --user-id 'Release <rel@example.com>' -o release.gpg", 'OpenPGP key for gpg --import (binary; .asc or --armor for text)'],
  ],
  run: async (args) => {
    if (args.as === 'openpgp' && (args.userId === undefined || args.userId === '')) {
      throw airsignError('USER_ID_REQUIRED', '--as openpgp needs --user-id "Name <email>"');
    }
    const backend = await openKey(args.key, {
      interactive: Boolean(process.stdin.isTTY),
      ...(args.pinFile === undefined ? {} : { pinFile: args.pinFile }),
      ...(args.passwordFile === undefined ? {} : { passwordFile: args.passwordFile }),
    });
    try {
      let data: string | Uint8Array;
      if (args.as === 'openpgp') {
        const armor = args.armor ?? (args.output === undefined || /\.asc$/i.test(args.output));
        if (args.output === undefined && !armor) throw airsignError('OUTPUT_REQUIRED', 'binary OpenPGP output needs --output (or drop --no-armor)');
        const bytes = await exportOpenPgpPublicKey(backend, { userId: args.userId as string, armor });
        data = armor ? new TextDecoder().decode(bytes) : bytes;
      } else {
        data = await exportPublicKeyPem(backend);
      }
      const report = {
        key: backend.description,
        keyType: backend.keyType,
        format: args.as,
        fingerprint: await spkiFingerprint(backend),
        ...(args.as === 'openpgp' ? { openPgpFingerprint: await openPgpFingerprint(backend) } : {}),
      };
      if (args.output !== undefined) {
        await writeFileAtomic(args.output, data, { mode: 0o644 });
        return { text: `Wrote ${args.as} public key of ${backend.description} (${backend.keyType}) to ${args.output}`, json: { ...report, output: args.output } };
      }
      if (typeof data !== 'string') throw airsignError('OUTPUT_REQUIRED', 'this export is binary; give --output');
      return { text: data, json: { ...report, publicKey: data } };
    } finally {
      await backend.close();
    }
  },
});

// ---------- key generate ----------

function publicKeyPathFor(output: string): string {
  return /\.(pem|key)$/i.test(output) ? output.replace(/\.(pem|key)$/i, '.pub') : `${output}.pub`;
}

const generateCommand = defineCommand({
  command: 'generate',
  describe: 'Generate a file key (PKCS#8 PEM, or cosign\'s encrypted format with --cosign)',
  builder: (yargs) =>
    yargs
      .option('type', { choices: GENERATE_KEY_TYPES, demandOption: true, describe: 'Key type' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'Private key file to write (mode 0600)' })
      .option('cosign', { type: 'boolean', default: false, describe: 'Encrypt in cosign format and also write <output>.pub (password from $AIRSIGN_KEY_PASSWORD, $COSIGN_PASSWORD, --password-file or a prompt)' })
      .option('password-file', { type: 'string', describe: 'File holding the password for --cosign' })
      .option('force', { type: 'boolean', default: false, describe: 'Replace existing files' }),
  examples: [
    ['$0 key generate --type ecdsa-p256 --output key.pem', 'New P-256 key in PKCS#8 PEM'],
    ['COSIGN_PASSWORD=… $0 key generate --type ecdsa-p256 --cosign --output cosign.key', 'cosign.key + cosign.pub, as cosign generate-key-pair'],
  ],
  run: async (args) => {
    const type = args.type;
    const pubPath = args.cosign ? publicKeyPathFor(args.output) : undefined;
    if (pubPath === args.output) throw airsignError('OUTPUT_CONFLICT', 'the public key file would overwrite the private key; choose another --output');
    let password: string | undefined;
    if (args.cosign) {
      password = await resolveSecret({
        what: 'password for the new cosign key',
        missingCode: 'KEY_PASSPHRASE_REQUIRED',
        envNames: PASSPHRASE_ENV,
        allowEmpty: true,
        confirm: true,
        ...(args.passwordFile === undefined ? {} : { file: args.passwordFile }),
      });
    }
    const pair = await generateKeyPair(type, password === undefined ? {} : { cosign: password });
    const exclusive = !args.force;
    await writeFileAtomic(args.output, pair.privateKeyPem, { mode: 0o600, exclusive });
    if (pubPath !== undefined) {
      try {
        await writeFileAtomic(pubPath, pair.publicKeyPem, { mode: 0o644, exclusive });
      } catch (error) {
        const { unlink } = await import('node:fs/promises');
        await unlink(args.output).catch(() => undefined);
        throw error;
      }
    }
    const json = { keyType: type, format: args.cosign ? 'cosign' : 'pkcs8', privateKey: args.output, ...(pubPath === undefined ? {} : { publicKey: pubPath }) };
    return { json, text: `Wrote ${type} ${args.cosign ? 'cosign-encrypted' : 'PKCS#8'} private key to ${args.output}${pubPath === undefined ? '' : ` and public key to ${pubPath}`}` };
  },
});

export const keyCommand: CommandModule<GlobalOptions, object> = {
  command: 'key',
  describe: 'HSM and file keys: list, export public keys, generate',
  builder: (yargs: Argv<GlobalOptions>) =>
    yargs
      .command(listCommand)
      .command(exportCommand)
      .command(generateCommand)
      .demandCommand(1, 'Name a key subcommand: list, export or generate.')
      .example('$0 key list --module /usr/lib/softhsm/libsofthsm2.so', 'What is on the HSM')
      .example('$0 key export key.pem', 'Print a public key'),
  handler: () => undefined,
};
