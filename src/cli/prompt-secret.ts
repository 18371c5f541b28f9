/**
 * The CLI's secret prompt: no echo, on the terminal. Passed to the library as `promptSecret`
 * (the library itself never prompts), and only when stdin is a terminal.
 */
import { airsignError, isAirsignError } from '../errors.js';

/** What typed input did to the secret being entered: still typing, entered, or cancelled. */
export interface PromptState {
  value: string;
  done?: 'entered' | 'cancelled';
}

/**
 * Applies typed characters to the prompt: Enter, Ctrl+D and Ctrl+Z (end of input on Windows)
 * finish it, Ctrl+C cancels, Backspace/Delete remove the last character.
 */
export function applyPromptInput(state: PromptState, text: string): PromptState {
  let value = state.value;
  for (const ch of text) {
    if (ch === '\r' || ch === '\n' || ch === '\u0004' || ch === '\u001a') return { value, done: 'entered' };
    if (ch === '\u0003') return { value, done: 'cancelled' };
    if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
    else value += ch;
  }
  return { value };
}

/** Prompts on stderr and reads one line from the TTY without echo. */
export function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let state: PromptState = { value: '' };
    const wasRaw = stdin.isRaw;
    const cleanup = () => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: Buffer | string) => {
      state = applyPromptInput(state, chunk.toString());
      if (state.done === undefined) return;
      cleanup();
      if (state.done === 'entered') resolve(state.value);
      else reject(airsignError('KEY_PROMPT_CANCELLED', 'cancelled at the prompt'));
    };
    // Echo off before the prompt shows, so nothing typed after it is echoed.
    stdin.setRawMode(true);
    process.stderr.write(prompt);
    stdin.resume();
    stdin.on('data', onData);
  });
}

const SECRET_REQUIRED = new Set(['PKCS11_PIN_REQUIRED', 'KEY_PASSPHRASE_REQUIRED']);

/**
 * Under Git Bash/mintty on Windows Node sees pipes, not a terminal, so no prompt is offered and a
 * PIN/passphrase is "required": on win32 without a TTY that error also suggests winpty.
 */
export function withTerminalHint(error: unknown, platform: NodeJS.Platform, stdinIsTty: boolean): unknown {
  if (platform !== 'win32' || stdinIsTty || !isAirsignError(error) || !SECRET_REQUIRED.has(error.code)) return error;
  return airsignError(error.code, `${error.message}; in Git Bash/mintty stdin is not a terminal: run "winpty airsign …" to be prompted`, {
    details: error.details,
    cause: error,
  });
}
