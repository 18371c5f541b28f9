// Placeholder until the command lands; replaced by its owner.
import { defineCommand } from '../command.js';
import { internalError } from '../../errors.js';

export const stripCommand = defineCommand({
  command: 'strip',
  describe: '(strip: not built yet)',
  builder: (yargs) => yargs,
  run: async () => {
    throw internalError('NOT_BUILT', 'the strip command is not built yet');
  },
});
