/**
 * `key generate` on Windows: mode 0600 does not keep other users out there (the file inherits its
 * folder's access list), so the result carries a warning recommending --cosign, and --help says so.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { privateKeyOutputHelp } from '../../../src/cli/commands/key.js';
import { generateKeyFiles } from '../../../src/operations/key-generate.js';
import { tempDir } from '../../helpers/temp-dir.js';

const work = tempDir('airsign-keygen-');

describe('key generate and the platform', () => {
  it('on win32 the result warns that the key file is not limited to the user and recommends --cosign', async () => {
    const result = await generateKeyFiles('ecdsa-p256', { output: join(work, 'win.pem'), platform: 'win32' });
    expect(result.warnings).toEqual([expect.stringMatching(/not limited to you.*--cosign/)]);
    const cosign = await generateKeyFiles('ecdsa-p256', { output: join(work, 'win.key'), cosign: true, env: { COSIGN_PASSWORD: 'pw' }, platform: 'win32' });
    expect(cosign.warnings).toEqual([expect.stringContaining('encrypted')]);
  });

  it('elsewhere no warning, and the file is 0600', async () => {
    const result = await generateKeyFiles('ecdsa-p256', { output: join(work, 'linux.pem'), platform: 'linux' });
    expect(result.warnings).toBeUndefined();
    expect(statSync(join(work, 'linux.pem')).mode & 0o777).toBe(0o600);
  });

  it('--help for --output names the Windows caveat only on win32', () => {
    expect(privateKeyOutputHelp('win32')).toMatch(/Windows.*NOT limited.*--cosign/);
    expect(privateKeyOutputHelp('linux')).toContain('0600');
  });
});
