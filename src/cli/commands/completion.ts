// `airsign completion <shell>`: prints a completion script for bash, zsh, fish or PowerShell.
import { defineCommand } from '../command.js';
import { COMPLETION_SHELLS, completionScript } from '../completion-scripts.js';

export const completionCommand = defineCommand({
  command: 'completion <shell>',
  describe: 'Print a shell completion script (commands, options and option values)',
  builder: (yargs) =>
    yargs.positional('shell', { type: 'string', choices: COMPLETION_SHELLS, demandOption: true, describe: 'The shell to complete in' }),
  examples: [
    ['$0 completion bash > ~/.local/share/bash-completion/completions/airsign', 'bash (new shells)'],
    ['$0 completion zsh > "${fpath[1]}/_airsign"', 'zsh'],
    ['$0 completion fish > ~/.config/fish/completions/airsign.fish', 'fish'],
    ['$0 completion pwsh >> $PROFILE', 'PowerShell'],
  ],
  run: (args) => Promise.resolve({ text: completionScript(args.shell) }),
});
