import { describe, expect, it } from 'vitest';
import { readableId } from '../../../src/cli/commands/key.js';

describe('key list shows CKA_ID readably', () => {
  it('hex, plus the text when the id is printable ASCII', () => {
    expect(readableId('01')).toBe('01');
    expect(readableId('deadbeef')).toBe('deadbeef');
    expect(readableId('3031')).toBe('3031 ("01")');
    expect(readableId('7369676e6572')).toBe('7369676e6572 ("signer")');
    expect(readableId('')).toBe('-');
  });
});
