// Placeholder until the command lands; replaced by its owner.
import { defineCommand } from '../command.js';
import { internalError } from '../../errors.js';

export const keyCommand = defineCommand({
  command: 'key',
  describe: '(key: not built yet)',
  builder: (yargs) => yargs,
  run: async () => {
    throw internalError('NOT_BUILT', 'the key command is not built yet');
  },
});
