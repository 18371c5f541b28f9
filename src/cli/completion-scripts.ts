/**
 * Shell completion scripts for `airsign completion <shell>`. Each asks the CLI itself for the
 * words that fit (`airsign --get-yargs-completions <words so far>`, answered by yargs from the
 * commands and options main.ts registers), so the scripts never go stale when options change.
 * Options are offered once the word typed starts with "-"; otherwise, where the CLI has no command
 * or value to offer (a file argument), the shell's own file completion applies.
 */

export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish', 'pwsh'] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

const BASH = `# airsign completion for bash. Install: airsign completion bash > ~/.local/share/bash-completion/completions/airsign
_airsign_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" IFS=$'\\n' word
  local -a offered=()
  for word in $(airsign --get-yargs-completions "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null); do
    [[ $word == -* && $cur != -* ]] || offered+=("$word")
  done
  COMPREPLY=($(compgen -W "\${offered[*]}" -- "$cur"))
}
complete -o default -F _airsign_complete airsign
`;

const ZSH = `#compdef airsign
# airsign completion for zsh. Install: airsign completion zsh > "\${fpath[1]}/_airsign" (or source it from ~/.zshrc)
_airsign() {
  local -a words_found
  words_found=("\${(@f)$(airsign --get-yargs-completions "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  words_found=("\${(@)words_found:#}")
  [[ \${words[CURRENT]} == -* ]] || words_found=("\${(@)words_found:#-*}")
  if (( \${#words_found} )); then
    compadd -- "\${(@)words_found}"
  else
    _files
  fi
}
compdef _airsign airsign
`;

const FISH = `# airsign completion for fish. Install: airsign completion fish > ~/.config/fish/completions/airsign.fish
function __airsign_complete
    set -l current (commandline -ct)
    set -l words (commandline -opc) $current
    for word in (airsign --get-yargs-completions $words[2..-1] 2>/dev/null)
        if string match -q -- '-*' $word; and not string match -q -- '-*' "$current"
            continue
        end
        echo $word
    end
end
complete -c airsign -a '(__airsign_complete)'
`;

const PWSH = `# airsign completion for PowerShell. Install: airsign completion pwsh >> $PROFILE
Register-ArgumentCompleter -Native -CommandName airsign, airsign.exe -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $words = @($commandAst.CommandElements | Select-Object -Skip 1 | ForEach-Object { $_.ToString() })
    if ($wordToComplete -eq '') { $words += '' }
    & $commandAst.CommandElements[0].Value --get-yargs-completions @words 2>$null |
        Where-Object { $_ -like "$wordToComplete*" -and ($wordToComplete.StartsWith('-') -or -not $_.StartsWith('-')) } |
        ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }
}
`;

const SCRIPTS: Record<CompletionShell, string> = { bash: BASH, zsh: ZSH, fish: FISH, pwsh: PWSH };

export function completionScript(shell: CompletionShell): string {
  return SCRIPTS[shell];
}
