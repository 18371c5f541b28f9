// `airsign repack <tar> --directory <dir>`: put stripped layer blobs back, verified.
import { defineCommand } from '../command.js';
import { LOCK_WAIT_OPTION, writeRunOptions } from '../write-options.js';
import { layoutArg } from './layout-arg.js';
import { humanSize } from '../human-size.js';
import { repackLayout } from '../../operations/repack.js';

export const repackCommand = defineCommand({
  command: 'repack <layout>',
  describe: 'Put the layer blobs stripped into a directory back into the layout tarball, verifying each',
  builder: (yargs) =>
    yargs
      .positional('layout', { type: 'string', demandOption: true, describe: 'Stripped OCI layout tar (or directory, .tar.gz, - for stdin)' })
      .option('directory', { alias: 'd', type: 'string', demandOption: true, describe: 'Directory written by airsign strip' })
      .option('output', { alias: 'o', type: 'string', describe: 'Write the full tar here (default: replace the input atomically)' })
      .option('reference', { alias: 'r', type: 'string', describe: 'Image the directory belongs to (checked against the strip record)' })
      .option('lock-wait', LOCK_WAIT_OPTION),
  examples: [
    ['$0 repack image.tar --directory layers', 'Restore layers into image.tar in place'],
    ['$0 repack meta.tar -d layers -o full.tar', 'Write the restored layout to full.tar'],
  ],
  run: async (args, context) => {
    const result = await repackLayout(layoutArg(args.layout), {
      directory: args.directory,
      ...(args.output === undefined ? {} : { output: args.output }),
      ...(args.reference === undefined ? {} : { reference: args.reference }),
      ...writeRunOptions(context, args.lockWait),
      stdin: process.stdin,
    });
    return {
      text: `Put back ${result.inserted.length} layer blob(s) of ${result.image.digest} from ${result.directory}\nWrote ${result.output} (${humanSize(result.outputBytes)})`,
      json: result,
    };
  },
});
