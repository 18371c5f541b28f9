import { describe, expect, it } from 'vitest';
import { pkcs11jsMissingMessage } from '../../../src/keys/pkcs11/pkcs11js-loader.js';

describe('PKCS11_JS_MISSING says what to install', () => {
  it.each([
    ['win32', 'Visual Studio Build Tools'],
    ['darwin', 'xcode-select --install'],
    ['linux', 'build-essential'],
  ] as const)('on %s', (platform, needle) => {
    const message = pkcs11jsMissingMessage(platform);
    expect(message).toContain(needle);
    expect(message).toContain('npm install pkcs11js');
    expect(message).not.toContain('\n');
  });
});
