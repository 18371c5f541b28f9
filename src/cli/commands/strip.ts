// `airsign strip <tar> --directory <dir>`: move layer blobs out, keep a metadata-only layout.
import { defineCommand } from '../command.js';
import { LOCK_WAIT_OPTION, writeRunOptions } from '../write-options.js';
import { layoutArg } from './layout-arg.js';
import { humanSize } from '../human-size.js';
import { stripLayout } from '../../operations/strip.js';

export const stripCommand = defineCommand({
  command: 'strip <layout>',
  describe: 'Move every layer blob into a directory and leave a metadata-only layout tarball',
  builder: (yargs) =>
    yargs
      .positional('layout', { type: 'string', demandOption: true, describe: 'OCI layout tar (or directory, .tar.gz, - for stdin)' })
      .option('directory', { alias: 'd', type: 'string', demandOption: true, describe: 'Directory receiving one file per layer blob (<alg>/<hex>) and airsign-strip.json' })
      .option('output', { alias: 'o', type: 'string', describe: 'Write the stripped tar here (default: replace the input atomically)' })
      .option('reference', { alias: 'r', type: 'string', describe: 'Image to strip when the layout holds several (tag, name or digest); recorded for repack' })
      .option('lock-wait', LOCK_WAIT_OPTION),
  examples: [
    ['$0 strip image.tar --directory layers', 'Strip image.tar in place; layers go to ./layers'],
    ['$0 strip image.tar -d layers -o meta.tar', 'Keep image.tar, write the stripped tar to meta.tar'],
    ['$0 strip multi.tar -d layers -r app:1.4', 'Pick one image of several'],
  ],
  run: async (args, context) => {
    const result = await stripLayout(layoutArg(args.layout), {
      directory: args.directory,
      ...(args.output === undefined ? {} : { output: args.output }),
      ...(args.reference === undefined ? {} : { reference: args.reference }),
      ...writeRunOptions(context, args.lockWait),
      stdin: process.stdin,
    });
    return {
      text: `Stripped ${result.stripped.length} layer blob(s) (${humanSize(result.strippedBytes)}) of ${result.image.digest} into ${result.directory}\nWrote ${result.output} (${humanSize(result.outputBytes)})`,
      json: result,
    };
  },
});
