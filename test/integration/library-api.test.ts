/**
 * The library as a user meets it: everything imported from the package root ("airsign", resolved
 * through package.json "exports" to dist/), the README's Library examples run as written (strip,
 * sign + repack, verify), every name they import really exported, and the README's table of
 * exported values equal to what the package root exports.
 * A signature made this way is loaded with oras-go's rules (a reader we did not write).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLikeOras } from '../helpers/oras-rules.js';
import { makeTestChain, type TestChain } from '../helpers/sign-fixtures.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Types from the sources; the module itself from the package root, as a user imports it. */
type Api = typeof import('../../src/index.js');
const PACKAGE_ROOT: string = 'airsign';
const README = new URL('../../README.md', import.meta.url);
const SAMPLE = new URL('../../samples/single.tar', import.meta.url).pathname;

let api: Api;
const work = tempDir('airsign-library-api-');
let chain: TestChain;

beforeAll(async () => {
  api = (await import(PACKAGE_ROOT)) as Api;
  chain = makeTestChain('ec-p256', { dir: mkdtempSync(join(work, 'chain-')) });
});

/** The README's "## Library" section, up to the next "## " heading. */
function readmeLibrarySection(): string {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf('\n## Library\n');
  if (start < 0) throw new Error('README has no "## Library" section');
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

/** The ```ts blocks of the README's Library section, in order. */
function readmeLibraryExamples(): string[] {
  const blocks = [...readmeLibrarySection().matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  if (blocks.length === 0) throw new Error('README has no ```ts block under "## Library"');
  return blocks;
}

/** The value names in the first column of the Library section's table of exports. */
function readmeExportTable(): string[] {
  const section = readmeLibrarySection();
  const table = section.slice(section.indexOf('| name |'));
  const rows = table.split('\n').filter((line) => line.startsWith('| `'));
  return rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`([A-Za-z_$][\w$]*)/g)].map((m) => m[1]!));
}

describe('library API from the package root', () => {
  it('every name the README examples import from airsign is exported there', () => {
    const example = readmeLibraryExamples().join('\n');
    const imports = [...example.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'airsign'/g)].flatMap((m) =>
      m[1]!.split(',').map((n) => n.replace(/^\s*type\s+/, '').trim()).filter(Boolean),
    );
    expect(imports).toEqual(expect.arrayContaining(['inspectLayout', 'stripLayout', 'signLayout', 'repackLayout', 'verifyLayout']));
    const source = readFileSync(new URL('../../src/index.ts', import.meta.url), 'utf8');
    for (const name of imports) {
      const exported = name in api || new RegExp(`export type \\{[^}]*\\b${name}\\b`).test(source);
      expect(exported, `${name} is exported from the package root`).toBe(true);
    }
  });

  it('exports exactly the values the README\'s table names, no more, no fewer', () => {
    const documented = readmeExportTable();
    expect(documented.length).toBeGreaterThan(20);
    expect(new Set(documented).size, 'a name listed twice').toBe(documented.length);
    expect(Object.keys(api).sort()).toEqual([...documented].sort());
  });

  it('does not export internals', () => {
    for (const name of ['rawToDerEcdsa', 'derToRawEcdsa', 'VerifyingStream', 'verifyBytes', 'writeLayout', 'formatInspectReport', 'listObjects', 'encodePem',
      'parseExpiry', 'parseAnnotations', 'openLayout', 'resolveImage', 'isPkcs11Spec', 'defaultFormatRegistry', 'DEFAULT_FORMATS', 'createGpgFormat']) {
      expect(name in api, name).toBe(false);
    }
  });

  it('inspect -> strip -> sign -> repack, as the README shows', async () => {
    const image = join(work, 'image.tar');
    copyFileSync(SAMPLE, image);
    const layers = join(work, 'layers');
    const meta = join(work, 'meta.tar');
    const signed = join(work, 'signed.tar');

    const report = await api.inspectLayout(image);
    const target = report.images[0]!;
    expect(report.referrers).toEqual([]);

    const stripped = await api.stripLayout(image, { directory: layers, output: meta });
    expect(stripped.stripped.length).toBeGreaterThan(0);

    const { record } = await api.signLayout(meta, {
      key: chain.keyPath,
      keyOptions: { certificatePath: chain.chainPath },
      formats: ['notation'],
    });
    expect(record.signatures.map((s) => [s.format, s.signedDescriptor.digest])).toEqual([['notation', target.digest]]);

    const repacked = await api.repackLayout(meta, { directory: layers, output: signed });
    expect(repacked.inserted.sort()).toEqual(stripped.stripped.map((b) => b.digest).sort());

    const after = await api.inspectLayout(signed);
    expect(after.blobs.missing).toBe(0);
    expect(after.referrers.map((r) => r.subject)).toEqual([target.digest]);
    // oras-go's rules see the signature as a referrer of the image.
    const resolved = loadLikeOras(signed).resolve('1.4');
    const referrers = loadLikeOras(signed).referrers({ mediaType: resolved.mediaType, digest: resolved.digest, size: resolved.size });
    expect(referrers.map((r) => r.artifactType)).toEqual(['application/vnd.cncf.notary.signature']);
    // The input was left as it was, and nothing temporary is left behind.
    expect(readFileSync(image)).toEqual(readFileSync(SAMPLE));
    expect(readdirSync(work).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it('the README examples run as written, in order in one folder (types stripped, airsign resolved to this package)', async () => {
    const dir = mkdtempSync(join(work, 'readme-'));
    copyFileSync(SAMPLE, join(dir, 'app.tar'));
    copyFileSync(chain.keyPath, join(dir, 'key.pem'));
    copyFileSync(chain.chainPath, join(dir, 'chain.pem'));
    const root = pathToFileURL(new URL('../../dist/index.js', import.meta.url).pathname).href;
    const outputs = readmeLibraryExamples().map((example, n) => {
      const js = ts.transpileModule(example, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
      writeFileSync(join(dir, `example-${n}.mjs`), js.replaceAll("from 'airsign'", `from '${root}'`));
      return execFileSync(process.execPath, [`example-${n}.mjs`], { cwd: dir, encoding: 'utf8' });
    });
    expect(outputs).toHaveLength(3);
    const [strip, sign, verify] = outputs as [string, string, string];
    expect(strip).toContain("[ '1.4' ] 0");
    expect(strip).toMatch(/^\d+ layer\(s\), \d+ bytes, to \.\/layers$/m);
    expect(sign).toContain("[ 'notation', 'cosign' ]");
    expect(verify).toMatch(/^true \[.*'cosign: valid'.*\]$/m);
    const signed = await api.inspectLayout(join(dir, 'app-signed.tar'));
    expect(signed.blobs.missing).toBe(0);
    expect(signed.referrers.map((r) => r.artifactType ?? r.mediaType).sort()).toEqual(['application/vnd.cncf.notary.signature']);
    // The verify example really checks: with another key it does not verify.
    rmSync(join(dir, 'key.pem'));
    rmSync(join(dir, 'key.pub'));
    await api.generateKeyFiles('ecdsa-p256', { output: join(dir, 'key.pem') });
    const refused = execFileSync(process.execPath, ['example-2.mjs'], { cwd: dir, encoding: 'utf8' });
    expect(refused).toMatch(/^false /m);
  });

  it('key operations return data and take secrets only from what is passed in', async () => {
    const dir = mkdtempSync(join(work, 'keys-'));
    // Refused before the key is opened (no PIN or passphrase is asked for a command that cannot succeed).
    await expect(api.exportPublicKey(join(dir, 'absent.pem'), { as: 'openpgp', userId: 'A <a@example.com>', armor: false })).rejects.toMatchObject({ code: 'OUTPUT_REQUIRED' });
    // A new cosign key: the password comes from promptSecret, asked twice; different answers are refused.
    const answers = ['pw-1', 'pw-2'];
    await expect(api.generateKeyFiles('ecdsa-p256', { output: join(dir, 'a.key'), cosign: true, promptSecret: async () => answers.shift()! })).rejects.toMatchObject({ code: 'KEY_PASSPHRASE_MISMATCH' });
    expect(readdirSync(dir)).toEqual([]);
    await expect(api.generateKeyFiles('ecdsa-p256', { output: join(dir, 'a.key'), cosign: true })).rejects.toMatchObject({ code: 'KEY_PASSPHRASE_REQUIRED' });
    const made = await api.generateKeyFiles('ecdsa-p256', { output: join(dir, 'cosign.key'), cosign: true, env: { COSIGN_PASSWORD: 'pw' } });
    expect(made).toEqual({ keyType: 'ecdsa-p256', format: 'cosign', privateKey: join(dir, 'cosign.key'), publicKey: join(dir, 'cosign.pub') });
    const exported = await api.exportPublicKey(made.privateKey, { keyOptions: { env: { COSIGN_PASSWORD: 'pw' } } });
    expect(exported.publicKey).toBe(readFileSync(join(dir, 'cosign.pub'), 'utf8'));
    expect(exported).toMatchObject({ keyType: 'ecdsa-p256', format: 'pem' });
  });

  it('signLayout needs no registry (the default formats) and names unknown formats', async () => {
    const image = join(work, 'unknown-format.tar');
    copyFileSync(SAMPLE, image);
    await expect(api.signLayout(image, { key: chain.keyPath, formats: ['nope'] })).rejects.toMatchObject({ code: 'SIGN_UNKNOWN_FORMAT' });
    expect(readFileSync(image)).toEqual(readFileSync(SAMPLE));
  });
});
