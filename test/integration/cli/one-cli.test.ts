/**
 * One CLI, the same everywhere, tried as a new user would, through the built CLI: the key option
 * group on every command that opens a key (with a real SoftHSM token for --module/--pin-file),
 * -o/-r on sign, one-line usage errors that name the subcommand's help (which then works), required
 * options marked, examples that run when pasted into bash, --format a,b, inspect's per-edge media
 * types and schemaVersion, the progress label while strip moves layers, and the note when an image
 * is signed again by the same key.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_LINE_MAX } from '../../../src/cli/command.js';
import { COMMAND_NAMES, SUBCOMMANDS } from '../../../src/cli/main.js';
import type { SigningRecord } from '../../../src/signing-record.js';
import { cliShellWords, runCli, type CliResult } from '../../helpers/cli.js';
import { makeTestChain, type TestChain } from '../../helpers/sign-fixtures.js';
import { createSoftHsm, exportPublicKeyWithP11tool, type SoftHsm } from '../../helpers/softhsm.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLES = new URL('../../../samples/', import.meta.url).pathname;
const SINGLE_DIGEST = 'sha256:442991fd3d5c31cb0e98399cadb4bb01ad7177aed8772ed1400372c2031f2e76';
const EMPTY_JSON = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

const work = tempDir('airsign-one-cli-');
let ec: TestChain;
let rsa: TestChain;
let n = 0;

beforeAll(() => {
  ec = makeTestChain('ec-p256');
  rsa = makeTestChain('rsa-3072');
});

function fresh(sample = 'single.tar'): { dir: string; input: string } {
  const dir = join(work, `case-${++n}`);
  mkdirSync(dir);
  const input = join(dir, sample);
  copyFileSync(join(SAMPLES, sample), input);
  return { dir, input };
}

function ok(r: CliResult): CliResult {
  if (r.code !== 0) throw new Error(`airsign exited ${r.code}: ${r.stderr}`);
  return r;
}

/** The options listed under "Key options:" in a command's help. */
function keyGroup(help: string): string[] {
  const section = /\nKey options:\n([\s\S]*?)\n\n/.exec(help);
  return section === null ? [] : [...section[1]!.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]!);
}

describe('the key option group', () => {
  it('is the same on every command that opens a key', () => {
    expect(keyGroup(ok(runCli(['sign', '--help'])).stdout)).toEqual(['--key', '--cert', '--module', '--pin-file', '--password-file']);
    // cert create writes the certificate (the issuer's is --issuer-cert); key export has no use for one.
    expect(keyGroup(ok(runCli(['cert', 'create', '--help'])).stdout)).toEqual(['--key', '--module', '--pin-file', '--password-file']);
    expect(keyGroup(ok(runCli(['key', 'export', '--help'])).stdout)).toEqual(['--key', '--module', '--pin-file', '--password-file']);
    expect(keyGroup(ok(runCli(['key', 'list', '--help'])).stdout)).toEqual(['--module', '--pin-file']);
  });

  it('sign takes -o and -r like strip and repack', () => {
    const { dir, input } = fresh('multi.tar');
    const out = join(dir, 'signed.tar');
    const r = ok(runCli(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '-r', '1.4', '-o', out, '--json']));
    const record = JSON.parse(r.stdout) as SigningRecord;
    expect(record.reference).toBe('1.4');
    expect(record.signatures[0]!.signedDescriptor.digest).toBe('sha256:34f45d4c39e6d71056b72570e663e6ce49803e8bf9dcc9670ad6f81b5bf5fee8');
    expect(ok(runCli(['inspect', out, '--json'])).stdout).toContain(record.signatures[0]!.signatureManifest!.digest);
    // verify picks the image by -r too (the unsigned input under a policy that accepts anything: a report that names the image).
    const acceptAll = join(dir, 'accept.json');
    writeFileSync(acceptAll, '{"default":[{"type":"insecureAcceptAnything"}]}');
    const verify = runCli(['verify', input, '-r', '1.4', '--policy', acceptAll, '--identity', 'registry.example/app:1.4', '--json']);
    expect((JSON.parse(verify.stdout) as { target: { digest: string } }).target.digest).toBe(record.signatures[0]!.signedDescriptor.digest);
  });

  describe('with a SoftHSM key named by a URI without module-path or PIN', () => {
    let hsm: SoftHsm;
    let chain: TestChain;
    let pinFile: string;
    const uri = 'pkcs11:token=airsign-test;object=ec-p256';
    // No module or PIN from the environment: only --module and --pin-file can supply them.
    const env = (): NodeJS.ProcessEnv => {
      const e = { ...hsm.env };
      for (const name of ['AIRSIGN_PKCS11_MODULE', 'COSIGN_PKCS11_MODULE_PATH', 'AIRSIGN_PKCS11_PIN', 'COSIGN_PKCS11_PIN']) delete e[name];
      return e;
    };
    beforeAll(() => {
      hsm = createSoftHsm();
      chain = makeTestChain('ec-p256', { publicKeyPem: exportPublicKeyWithP11tool(hsm, 'airsign-test', 'ec-p256') });
      pinFile = join(hsm.dir, 'pin.txt');
      writeFileSync(pinFile, `${hsm.pin}\n`);
    });
    afterAll(() => rmSync(hsm.dir, { recursive: true, force: true }));

    it('sign --module --pin-file signs; without --module it says how to name the module', () => {
      const { dir, input } = fresh();
      const out = join(dir, 'out.tar');
      const refused = runCli(['sign', input, '--key', uri, '--cert', chain.chainPath, '--format', 'notation', '--pin-file', pinFile, '-o', out], { env: env() });
      expect(refused.code).toBe(3);
      expect(refused.stderr).toMatch(/--module/);
      const r = ok(runCli(['sign', input, '--key', uri, '--module', hsm.module, '--pin-file', pinFile, '--cert', chain.chainPath, '--format', 'notation', '-o', out, '--json'], { env: env() }));
      const record = JSON.parse(r.stdout) as SigningRecord;
      expect(record.key).toBe(uri);
      expect(record.signatures[0]!.signedDescriptor.digest).toBe(SINGLE_DIGEST);
    });

    it('key export --key --module --pin-file gives the token key (the one p11tool exports)', () => {
      const r = ok(runCli(['key', 'export', '--key', uri, '--module', hsm.module, '--pin-file', pinFile], { env: env() }));
      expect(r.stdout.trim()).toBe(exportPublicKeyWithP11tool(hsm, 'airsign-test', 'ec-p256').trim());
    });

    it('cert create --module --pin-file makes a certificate for the token key', () => {
      const out = join(work, 'hsm-cert.pem');
      ok(runCli(['cert', 'create', '--key', uri, '--module', hsm.module, '--pin-file', pinFile, '--subject', 'C=US,ST=WA,O=t,CN=hsm', '-o', out], { env: env() }));
      const certKey = execFileSync('openssl', ['x509', '-in', out, '-noout', '-pubkey'], { encoding: 'utf8' });
      expect(certKey.trim()).toBe(exportPublicKeyWithP11tool(hsm, 'airsign-test', 'ec-p256').trim());
    });
  });
});

describe('usage errors', () => {
  const cases: Array<{ args: string[]; message: RegExp; help: string }> = [
    { args: ['sign', 'x.tar', '--key', 'k.pem', '--format', 'notation', '-x'], message: /^unknown argument: x$/, help: 'airsign sign --help' },
    { args: ['sign', 'x.tar', '--key', 'k.pem'], message: /^missing required option --format$/, help: 'airsign sign --help' },
    { args: ['sign', 'x.tar'], message: /^missing required options --format, --key$/, help: 'airsign sign --help' },
    { args: ['sign'], message: /^missing the argument <input>$/, help: 'airsign sign --help' },
    { args: ['inspect'], message: /^missing the argument <layout>$/, help: 'airsign inspect --help' },
    { args: ['completion'], message: /^missing the argument <shell>$/, help: 'airsign completion --help' },
    { args: ['strip', 'x.tar'], message: /^missing required option --directory$/, help: 'airsign strip --help' },
    { args: ['key'], message: /^name a key subcommand: list, export or generate$/, help: 'airsign key --help' },
    { args: ['cert'], message: /^name a cert subcommand: create$/, help: 'airsign cert --help' },
    { args: ['key', 'export'], message: /^name the key to export, as an argument or with --key$/, help: 'airsign key export --help' },
    { args: ['cert', 'create', '--key', 'k.pem'], message: /^missing required options --subject, --output$/, help: 'airsign cert create --help' },
    { args: ['key', 'generate', '--type', 'dsa', '-o', 'k.pem'], message: /^invalid values:/i, help: 'airsign key generate --help' },
    { args: ['sgn', 'x.tar'], message: /^unknown command "sgn"; did you mean sign\?$/, help: 'airsign --help' },
    { args: ['frobnicate'], message: /^unknown argument: frobnicate$/, help: 'airsign --help' },
    { args: [], message: /^name a command$/, help: 'airsign --help' },
  ];

  it.each(cases)('airsign $args: one stderr line naming `$help`, exit 2', ({ args, message, help }) => {
    const r = runCli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n');
    expect(lines, r.stderr).toHaveLength(2); // one line and its newline
    const m = /^airsign: (.*) \(see '(.*)'\)$/.exec(lines[0]!);
    expect(m, lines[0]).not.toBeNull();
    expect(m![1]).toMatch(message);
    expect(m![2]).toBe(help);
    // The help it points at exists and is that command's.
    const shown = runCli([...help.split(' ').slice(1)]);
    expect(shown.code).toBe(0);
    expect(shown.stdout.split('\n')[0]).toMatch(new RegExp(`^${help.replace(/ --help$/, '')}\\b`));
  });

  it('the subcommands the hints know are the ones --help lists', () => {
    for (const [command, subs] of Object.entries(SUBCOMMANDS)) {
      const commands = ok(runCli([command, '--help'])).stdout.split('\nCommands:\n')[1]!.split('\n\n')[0]!;
      const listed = [...commands.matchAll(new RegExp(`^  airsign ${command} (\\w+)`, 'gm'))].map((m) => m[1]);
      expect(listed.sort(), command).toEqual([...subs].sort());
    }
  });

  it('--json: the error document on stdout, still one line on stderr', () => {
    const r = runCli(['sign', 'x.tar', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'USAGE', kind: 'input', message: 'missing required options --format, --key' } });
    expect(r.stderr.split('\n')).toHaveLength(2);
  });
});

describe('--help', () => {
  // Every command and subcommand the CLI registers, so a new one cannot be left out.
  const HELPS = [[], ...COMMAND_NAMES.flatMap((name) => [[name], ...(SUBCOMMANDS[name] ?? []).map((sub) => [name, sub])])];

  it('the list of helps covers every command', () => {
    const commands = ok(runCli(['--help'])).stdout.split('\nCommands:\n')[1]!.split('\n\n')[0]!;
    const listed = [...commands.matchAll(/^ {2}airsign ([\w-]+)/gm)].map((m) => m[1]);
    expect(listed).toEqual([...COMMAND_NAMES]);
  });

  it('every command that reads a PIN or passphrase file offers --secret-trailing-space', () => {
    for (const args of HELPS) {
      const help = ok(runCli([...args, '--help'])).stdout;
      if (/--pin-file|--password-file/.test(help)) expect(help, `airsign ${args.join(' ')}`).toContain('--secret-trailing-space');
    }
  });

  it('marks the required options', () => {
    const required = (args: string[], option: string): boolean => {
      const help = ok(runCli([...args, '--help'])).stdout;
      // An option's entry runs until the next option line; [required] ends it.
      const entry = new RegExp(`^\\s+(?:-\\w, )?${option}\\b[\\s\\S]*?(?=\\n\\s+(?:-\\w, )?--|\\n\\n)`, 'm').exec(help);
      return entry !== null && entry[0].includes('[required]');
    };
    expect(required(['sign'], '--key')).toBe(true);
    expect(required(['sign'], '--format')).toBe(true);
    expect(required(['sign'], '--cert')).toBe(false);
    for (const o of ['--key', '--subject', '--output']) expect(required(['cert', 'create'], o), o).toBe(true);
    expect(required(['strip'], '--directory')).toBe(true);
    expect(required(['repack'], '--directory')).toBe(true);
    expect(required(['key', 'generate'], '--type')).toBe(true);
  });

  it.each(HELPS.map((args) => [args.join(' ')]))('airsign %s --help: examples are whole lines no wider than the narrowest help', (command) => {
    const help = ok(runCli([...command.split(' ').filter(Boolean), '--help'])).stdout;
    const examples = /\nExamples:\n([\s\S]*?)(?:\n\n(?! {2})|$)/.exec(help);
    expect(examples, help).not.toBeNull();
    const lines = examples![1]!.split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      expect(line.length, line).toBeLessThanOrEqual(EXAMPLE_LINE_MAX + 2);
      expect(line, 'a description line or a command line').toMatch(/^ {2}(# |airsign |[A-Z0-9_]+=\S* airsign |--|-\w |docker )/);
    }
  });

  it.each(HELPS.map((args) => [args.join(' ')]))('airsign %s --help: each example pastes as one command (every line but its last ends in a backslash)', (command) => {
    const section = /\nExamples:\n([\s\S]*?)(?:\n\n(?! {2})|$)/.exec(ok(runCli([...command.split(' ').filter(Boolean), '--help'])).stdout)![1]!;
    const blocks = section.split('\n\n').map((b) => b.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#')));
    for (const lines of blocks.filter((b) => b.length > 0)) {
      for (const line of lines.slice(0, -1)) expect(line, lines.join('\n')).toMatch(/ \\$/);
      expect(lines.at(-1), lines.join('\n')).not.toMatch(/\\$/);
    }
  });

  it('examples run when pasted into bash (key generate, then cert create with that key)', () => {
    const dir = join(work, 'paste');
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'airsign'), `#!/bin/sh\nexec ${cliShellWords()} "$@"\n`, { mode: 0o755 });
    const example = (args: string[], marker: string): string => {
      const section = ok(runCli([...args, '--help'])).stdout.split('\nExamples:\n')[1]!;
      const blocks = section.split('\n\n').map((b) => b.split('\n').filter((l) => !l.trimStart().startsWith('#')).map((l) => l.trim()).join('\n'));
      const found = blocks.find((b) => b.includes(marker));
      expect(found, marker).toBeDefined();
      return found!;
    };
    const bash = (script: string) => spawnSync('bash', ['-e', '-c', script], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` } });
    const generate = bash(example(['key', 'generate'], '--output key.pem'));
    expect(generate.status, generate.stderr).toBe(0);
    const create = bash(example(['cert', 'create'], '-o cert.pem'));
    expect(create.status, create.stderr).toBe(0);
    expect(execFileSync('openssl', ['x509', '-in', join(dir, 'cert.pem'), '-noout', '-subject'], { encoding: 'utf8' })).toMatch(/CN\s*=\s*dev/);
    // A multi-line example (continuation lines) pastes as one command too.
    const root = bash(example(['cert', 'create'], 'root.pem.crt').replace('--key root.pem', '--key key.pem'));
    expect(root.status, root.stderr).toBe(0);
  });
});

describe('--format a,b', () => {
  it('is the same as --format a --format b', () => {
    const signWith = (formatArgs: string[]) => {
      const { dir, input } = fresh();
      const r = ok(runCli(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, ...formatArgs, '-o', join(dir, 'o.tar'), '--json']));
      return (JSON.parse(r.stdout) as SigningRecord).signatures.map((s) => s.format);
    };
    expect(signWith(['--format', 'notation,notation-cose'])).toEqual(['notation', 'notation-cose']);
    expect(signWith(['--format', 'notation', '--format', 'notation-cose'])).toEqual(['notation', 'notation-cose']);
    expect(signWith(['--format', 'notation-cose, notation'])).toEqual(['notation-cose', 'notation']);
  });

  it('an unknown name inside the list is refused by name', () => {
    const { input } = fresh();
    const r = runCli(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation,notary']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown signature format "notary"/);
  });
});

interface Node {
  digest: string;
  mediaType: string;
  role: string;
  children?: Node[];
}

describe('inspect', () => {
  it('shows each edge\'s media type: after sign --recursive the attestation\'s empty config is still application/vnd.oci.empty.v1+json', () => {
    const { dir, input } = fresh('multi.tar');
    const out = join(dir, 'signed.tar');
    ok(runCli(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '-r', '1.4', '--recursive', '--include-attestations', '-o', out]));
    const report = JSON.parse(ok(runCli(['inspect', out, '--json'])).stdout) as { schemaVersion: number; images: Node[] };
    expect(report.schemaVersion).toBe(1);
    expect(Object.keys(report)[0]).toBe('schemaVersion');
    const configs = report.images[0]!.children!.filter((c) => c.role === 'attestation').map((a) => a.children![0]!);
    const empty = configs.find((c) => c.digest === EMPTY_JSON);
    expect(empty).toMatchObject({ mediaType: 'application/vnd.oci.empty.v1+json', role: 'config' });
    // The same blob is the config of the (legacy) Notation signature manifests, under their media type.
    const sigManifest = JSON.parse(execFileSync('tar', ['-xOf', out, `blobs/sha256/${findSignatureManifest(out)}`], { encoding: 'utf8' })) as { config: { digest: string; mediaType: string } };
    expect(sigManifest.config).toMatchObject({ digest: EMPTY_JSON, mediaType: 'application/vnd.cncf.notary.signature' });
    const text = ok(runCli(['inspect', out])).stdout;
    expect(text).toMatch(/config +sha256:44136fa355b3 +2 B +application\/vnd\.oci\.empty\.v1\+json/);
    expect(text).not.toMatch(/sha256:44136fa355b3 +2 B +application\/vnd\.cncf\.notary\.signature/);
  });
});

/** The hex digest of a signature manifest listed in the tar's index.json. */
function findSignatureManifest(tar: string): string {
  const index = JSON.parse(execFileSync('tar', ['-xOf', tar, 'index.json'], { encoding: 'utf8' })) as { manifests: Array<{ digest: string; artifactType?: string; annotations?: Record<string, string> }> };
  const sig = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === undefined);
  return sig!.digest.slice(7);
}

describe('progress', () => {
  it('while strip moves layers, the bar names the layer directory, then the tar it writes', () => {
    const { dir, input } = fresh('multi.tar');
    const layers = join(dir, 'layers');
    // script(1) gives the CLI a terminal, so it draws its bar on stderr.
    const r = spawnSync('script', ['-qfec', `${cliShellWords()} strip "${input}" -r 1.4 -d "${layers}" -o "${join(dir, 'meta.tar')}"`, '/dev/null'], { encoding: 'utf8' });
    expect(r.status, r.stdout).toBe(0);
    // A slow host redraws the bar more than once per stage: the stages in order are what count.
    const labels = [...r.stdout.matchAll(/\r([^\r[]+?) \[/g)].map((m) => m[1]).filter((label, i, all) => label !== all[i - 1]);
    expect(labels).toEqual([`moving 4 layer blobs to ${layers}`, 'writing meta.tar']);
  });
});

describe('signing again with the same key', () => {
  it('succeeds, says so on one stderr line, and records the earlier signature', () => {
    const { dir, input } = fresh();
    const first = JSON.parse(ok(runCli(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation', '--json'])).stdout) as SigningRecord;
    expect(first.signatures[0]!.existingSignatures).toBeUndefined();

    const recordPath = join(dir, 'again.json');
    const again = ok(runCli(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation,notation-cose', '--record', recordPath]));
    const lines = again.stderr.split('\n');
    expect(lines, again.stderr).toHaveLength(2);
    expect(lines[0]).toBe(`airsign: note: already signed by this key before this run (notation over ${SINGLE_DIGEST}); added another signature`);
    const record = JSON.parse(readFileSync(recordPath, 'utf8')) as SigningRecord;
    expect(record.signatures.map((s) => [s.format, s.existingSignatures])).toEqual([
      ['notation', [first.signatures[0]!.signatureManifest!.digest]],
      ['notation-cose', undefined], // another format: nothing to say
    ]);

    // Another key over the same image: a plain signing, no note.
    const other = ok(runCli(['sign', input, '--key', rsa.keyPath, '--cert', rsa.chainPath, '--format', 'notation', '--json']));
    expect(other.stderr).toBe('');
    expect((JSON.parse(other.stdout) as SigningRecord).signatures[0]!.existingSignatures).toBeUndefined();
  });
});
