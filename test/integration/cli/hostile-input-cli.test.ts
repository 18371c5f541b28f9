/**
 * The CLI-level hostile-input property (issue 10 item 5): a handful of mutated tarballs — a signed
 * Notation layout and the hello-world image, with byte edits or structurally mutated index.json and
 * manifests — go through real `airsign inspect` and `airsign verify` processes. Whatever the input,
 * the exit code is 0, 1 or 2 (never 70, an internal error), the process ends (no hang), and stderr
 * holds at most one line, without a stack trace. Kept small: process spawns are slow. The library
 * properties in test/unit/fuzz/ run thousands of cases of the same inputs.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { cliCommand } from '../../helpers/cli.js';
import { FuzzSuite, applyByteEdits, byteEdits, jsonEdits, mutateJson, utf8 } from '../../helpers/fuzz.js';
import { END, concat, member } from '../../helpers/raw-tar.js';
import { sha256Hex } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const work = tempDir('airsign-fuzz-cli-');
const suite = new FuzzSuite('hostile-input-cli');
const started = Date.now();
afterAll(() => {
  suite.finish(started);
});

const FIXTURES = new URL('../../fixtures/', import.meta.url);
const LAYOUT = new URL('notation-layouts/e2e-valid-signature/', FIXTURES);

/** The files of the signed e2e layout, by path. */
function layoutFiles(): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const f of ['oci-layout', 'index.json']) files.set(f, new Uint8Array(readFileSync(new URL(f, LAYOUT))));
  for (const f of readdirSync(new URL('blobs/sha256/', LAYOUT))) files.set(`blobs/sha256/${f}`, new Uint8Array(readFileSync(new URL(`blobs/sha256/${f}`, LAYOUT))));
  return files;
}

const tarOf = (files: Map<string, Uint8Array>) => concat([...[...files].map(([name, data]) => member({ name, data })), END]);

/** Runs the CLI; resolves with its exit code (or signal) and output, killing it after `limitMs`. */
function airsign(args: string[], limitMs = 30_000): Promise<{ code: number | null; signal: string | null; stderr: string; hung: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(...cliCommand(args), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let hung = false;
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, hung });
    });
  });
}

describe('hostile input through the CLI', () => {
  it('mutated tars through airsign inspect and verify: exit 0, 1 or 2, one stderr line, never 70, never a hang', async () => {
    const store = join(work, 'store');
    mkdirSync(join(store, 'x509', 'ca', 'e2e'), { recursive: true });
    copyFileSync(new URL('notation/e2e.crt', FIXTURES), join(store, 'x509', 'ca', 'e2e', 'e2e.crt'));
    const policy = new URL('notation/trustpolicies/trustpolicy.json', FIXTURES).pathname;
    const signed = layoutFiles();
    const helloWorld = new Uint8Array(readFileSync(new URL('layout/hello-world.tar', FIXTURES)));
    // The unmutated signed layout verifies: the property starts from a valid input.
    writeFileSync(join(work, 'good.tar'), tarOf(signed));
    const good = await airsign(['verify', join(work, 'good.tar'), '--trust-policy', policy, '--trust-store', store]);
    expect(good.code, good.stderr).toBe(0);

    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('bytes' as const), seed: fc.boolean(), edits: byteEdits }),
      fc.record({ kind: fc.constant('json' as const), which: fc.nat(), edits: jsonEdits }),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        let tar: Uint8Array;
        if (m.kind === 'bytes') tar = applyByteEdits(m.seed ? tarOf(signed) : helloWorld, m.edits);
        else {
          // Rewrite index.json or a manifest it lists; that manifest gets its new digest and size in
          // index.json, so the change is read rather than refused as a digest mismatch.
          const files = new Map(signed);
          const index = JSON.parse(Buffer.from(files.get('index.json')!).toString()) as { manifests: Array<{ digest: string; size: number }> };
          const targets = ['index.json', ...index.manifests.map((d) => `blobs/sha256/${d.digest.slice('sha256:'.length)}`)];
          const name = targets[m.which % targets.length]!;
          const changed = utf8(mutateJson(JSON.parse(Buffer.from(files.get(name)!).toString()), m.edits));
          if (name === 'index.json') files.set(name, changed);
          else {
            const hex = sha256Hex(changed);
            files.delete(name);
            files.set(`blobs/sha256/${hex}`, changed);
            const entry = index.manifests[m.which % targets.length - 1]!;
            entry.digest = `sha256:${hex}`;
            entry.size = changed.length;
            files.set('index.json', utf8(JSON.stringify(index)));
          }
          tar = tarOf(files);
        }
        const path = join(work, `case-${n++}.tar`);
        writeFileSync(path, tar);
        for (const args of [['inspect', path], ['verify', path, '--trust-policy', policy, '--trust-store', store]]) {
          suite.counts[`cli-${args[0]}`] = (suite.counts[`cli-${args[0]}`] ?? 0) + 1;
          const r = await airsign(args);
          expect(r.hung, `${args[0]} hung`).toBe(false);
          expect([0, 1, 2], `${args.join(' ')}: exit ${r.code}: ${r.stderr}`).toContain(r.code);
          if (r.code === 0) suite.accepted[`cli-${args[0]}`] = (suite.accepted[`cli-${args[0]}`] ?? 0) + 1;
          const lines = r.stderr.split('\n').filter((l) => l !== '');
          expect(lines.length, r.stderr).toBeLessThanOrEqual(1);
          expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
        }
      }),
      // A case is two process runs, each killed as hung after 30 s; on a loaded machine one run takes seconds.
      suite.parameters(6, 30000, 75_000),
    );
  }, 120_000);
});
