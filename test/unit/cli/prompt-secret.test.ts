/**
 * The terminal prompt's input handling (Ctrl+Z ends input as on Windows consoles) and the winpty
 * hint for Git Bash/mintty, where stdin is a pipe and no prompt is offered.
 */
import { describe, expect, it } from 'vitest';
import { applyPromptInput, withTerminalHint } from '../../../src/cli/prompt-secret.js';
import { airsignError } from '../../../src/errors.js';

describe('applyPromptInput', () => {
  it('Enter, Ctrl+D and Ctrl+Z end the input; Ctrl+C cancels; Backspace deletes', () => {
    for (const end of ['\r', '\n', '\u0004', '\u001a']) {
      expect(applyPromptInput({ value: '' }, `12x\u007f34${end}ignored`), JSON.stringify(end)).toEqual({ value: '1234', done: 'entered' });
    }
    expect(applyPromptInput({ value: '12' }, '3\u0003')).toEqual({ value: '123', done: 'cancelled' });
    expect(applyPromptInput({ value: '12' }, '3\b4')).toEqual({ value: '124' });
  });
});

describe('withTerminalHint', () => {
  const missing = airsignError('PKCS11_PIN_REQUIRED', 'no PIN for token "t" given');
  it('on win32 without a terminal a missing PIN/passphrase suggests winpty', () => {
    const hinted = withTerminalHint(missing, 'win32', false);
    expect(hinted).toMatchObject({ code: 'PKCS11_PIN_REQUIRED', kind: 'key', message: expect.stringContaining('winpty') });
    expect(withTerminalHint(airsignError('KEY_PASSPHRASE_REQUIRED', 'no passphrase'), 'win32', false)).toMatchObject({ message: expect.stringContaining('winpty') });
  });
  it('elsewhere, on a terminal, or for other errors it is unchanged', () => {
    expect(withTerminalHint(missing, 'linux', false)).toBe(missing);
    expect(withTerminalHint(missing, 'win32', true)).toBe(missing);
    const other = airsignError('KEY_FILE_NOT_FOUND', 'x', { details: { path: 'x' } });
    expect(withTerminalHint(other, 'win32', false)).toBe(other);
  });
});
