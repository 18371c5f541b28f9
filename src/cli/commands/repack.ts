// Placeholder until the command lands; replaced by its owner.
import { defineCommand } from '../command.js';
import { internalError } from '../../errors.js';

export const repackCommand = defineCommand({
  command: 'repack',
  describe: '(repack: not built yet)',
  builder: (yargs) => yargs,
  run: async () => {
    throw internalError('NOT_BUILT', 'the repack command is not built yet');
  },
});
