/** `airsign verify-signature`: a thin CLI over verifySignatureFile (src/operations/verify-signature.ts). */
import type { Argv } from 'yargs';
import { defineCommand } from '../command.js';
import { verifySignatureFile } from '../../operations/verify-signature.js';
import { formatVerifySignatureReport } from '../format-verify-signature-report.js';
import type { ReferenceMatchRule } from '../../verify/reference-match.js';
import { verifiableFormatIds } from '../verifiable-formats.js';
import { airsignError } from '../../errors.js';
import { splitList } from '../list-option.js';

interface VerifySignatureArgs {
  format: string;
  manifest: string;
  identity: string;
  signature: string;
  keyring?: string;
  fingerprint?: string[];
  key?: string[];
  match?: string;
  policy?: string;
}

export const verifySignatureCommand = defineCommand<VerifySignatureArgs>({
  command: 'verify-signature',
  describe: 'Check one GPG or cosign signature file against one manifest, out of band (as skopeo standalone-verify)',
  builder: (yargs) => yargs
    .option('format', { type: 'string', choices: verifiableFormatIds(), demandOption: true, describe: 'Signature format, named as sign --format names it: gpg (an OpenPGP simple signature) or cosign (a .sig layer as a sigstore-json file); Notation and bundle signatures are checked inside a layout by airsign verify' })
    .option('manifest', { type: 'string', demandOption: true, describe: 'The image manifest file (exact bytes)' })
    .option('identity', { type: 'string', demandOption: true, describe: 'Image reference the signature must name, e.g. registry.example/app:1.0' })
    .option('signature', { type: 'string', demandOption: true, describe: 'Signature file: an OpenPGP signed message (gpg) or a sigstore-json file (cosign)' })
    .option('keyring', { type: 'string', describe: 'gpg: public keyring (gpg --export, binary or armored)' })
    .option('fingerprint', { type: 'string', coerce: splitList, describe: 'gpg: accepted primary key fingerprint, repeatable or comma-separated (default: every key in the keyring)' })
    .option('key', { type: 'string', coerce: splitList, describe: 'cosign: PEM public key, repeatable or comma-separated (any one may have signed)' })
    .option('match', {
      type: 'string',
      choices: ['equal', 'matchExact', 'matchRepoDigestOrExact', 'matchRepository'],
      describe: 'How the signed reference must match --identity (default equal: identical after normalisation, as skopeo standalone-verify)',
    })
    .option('policy', { type: 'string', describe: 'A containers policy.json (signedBy / sigstoreSigned with signedIdentity rules) instead of --keyring/--key/--match' }) as unknown as Argv<VerifySignatureArgs>,
  examples: [
    [
      '$0 verify-signature --format gpg --manifest manifest.json \\\n--identity registry.example/app:1.4 --signature signature-1 \\\n--keyring pubring.gpg',
      'Check a GPG simple signature',
    ],
    [
      '$0 verify-signature --format gpg --manifest manifest.json \\\n--identity registry.example/app:1.4 --signature signature-1 \\\n--policy /etc/containers/policy.json',
      'Decide with a containers policy',
    ],
    [
      '$0 verify-signature --format cosign --manifest manifest.json \\\n--identity registry.example/app --signature signature-1 --key cosign.pub \\\n--match matchRepository',
      'Check a cosign signature (cosign signs repositories, not tags)',
    ],
  ],
  run: async (args) => {
    if (args.format !== 'gpg' && args.format !== 'cosign') {
      throw airsignError('USAGE', `verify-signature checks one gpg or cosign signature file; ${args.format} signatures are checked inside a layout: airsign verify <layout> --format ${args.format}`);
    }
    const report = await verifySignatureFile(args.signature, {
      format: args.format,
      manifest: args.manifest,
      identity: args.identity,
      ...(args.keyring === undefined ? {} : { keyring: args.keyring }),
      ...(args.fingerprint === undefined ? {} : { fingerprints: args.fingerprint }),
      ...(args.key === undefined ? {} : { keys: args.key }),
      ...(args.match === undefined ? {} : { match: args.match as ReferenceMatchRule }),
      ...(args.policy === undefined ? {} : { policy: args.policy }),
    });
    return { text: formatVerifySignatureReport(report), json: report, exitCode: report.verified ? 0 : 1 };
  },
});
