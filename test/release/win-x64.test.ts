/**
 * The win-x64 executable under wine, past the file-key flow of release.test.ts:
 *
 * PKCS#11 on Windows through koffi: test/release/win/testp11.c, a small PKCS#11 module written for
 * these tests (one token, one EC P-256 key: the fixed key of test/fixtures/win-pkcs11/, signing
 * with Windows CNG), is built with mingw-w64 here and loaded by airsign.exe from a `pkcs11:` URI
 * with a Windows module path and a pin-source file: URI. Its structures are packed to 1 byte as on
 * every Windows cryptoki, so a wrong layout in src/keys/pkcs11/pkcs11-ffi.ts cannot go unnoticed.
 * The signatures (Notation JWS, cosign .sig, cosign bundle) verify under wine with the public key
 * read from the token, and on Linux with tools we did not write: python jwcrypto (Notation), openssl
 * (.sig) and @sigstore/verify (bundle), against the fixture's public key and certificate.
 *
 * Windows file semantics: signing in place while a second wine process (test/release/win/
 * hold-open.c) holds the tar open with a given share mode, and a read-only tar (attrib +r), signed
 * to a new file and in place.
 *
 * Everything runs under one wine prefix (the one `npm run release` made); stdio goes to files
 * (node.exe under wine fails with EBADF on pipes). Skipped, with the reason in the test name, when
 * the executable, wine, its prefix or mingw-w64 is missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosignLocalImage, extractTar, opensslVerifiesCosign, verifyBundleWithSigstoreJs } from '../helpers/cosign-peers.js';
import { verifyWithPython } from '../helpers/notation-peer.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** The executable under test; AIRSIGN_TEST_WIN_EXE runs these cases against another build (an older one, say). */
const EXE = process.env['AIRSIGN_TEST_WIN_EXE'] ?? join(ROOT, 'release', `airsign-${VERSION}-win-x64.exe`);
const SAMPLE = join(ROOT, 'samples', 'single.tar');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'win-pkcs11');
const SOURCES = join(ROOT, 'test', 'release', 'win');
const RELEASE_CACHE = process.env['AIRSIGN_RELEASE_CACHE'] ?? join(homedir(), '.cache', 'airsign-release');
const WINEPREFIX = join(RELEASE_CACHE, 'wineprefix');
const MINGW = 'x86_64-w64-mingw32-gcc';
const ID = 'registry.example/app:1.0';
const PUBLIC_PEM = readFileSync(join(FIXTURES, 'public.pem'), 'utf8');

const hasCommand = (name: string): boolean => spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
const reason = [
  [existsSync(EXE), `release not built (run npm run release): no ${EXE}`],
  [hasCommand('wine'), 'no wine (Debian wine, wine64)'],
  [existsSync(join(WINEPREFIX, 'system.reg')), `no wine prefix at ${WINEPREFIX} (npm run release makes it)`],
  [hasCommand(MINGW), `no ${MINGW} (Debian gcc-mingw-w64-x86-64)`],
].find(([ok]) => !ok)?.[1] as string | undefined;
const title = (what: string): string => (reason === undefined ? what : `${what} — skipped: ${reason}`);

const WINE_ENV: NodeJS.ProcessEnv = {
  PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: process.env['HOME'] ?? '/root',
  LANG: 'C.UTF-8',
  WINEPREFIX,
  WINEDEBUG: '-all',
  WINEDLLOVERRIDES: 'mscoree,mshtml=',
};

/** The path wine's Z: drive gives a Linux path. */
const winPath = (path: string): string => `Z:${path.replaceAll('/', '\\')}`;
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

let work: string;
let io: string;
let moduleUri: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs airsign.exe under wine in `work`, stdout and stderr to files (in a folder of their own). */
function airsign(args: string[], timeoutMs = 120_000): Run {
  const out = join(io, 'stdout.txt');
  const err = join(io, 'stderr.txt');
  const outFd = openSync(out, 'w');
  const errFd = openSync(err, 'w');
  try {
    const result = spawnSync('wine', [EXE, ...args], { cwd: work, env: WINE_ENV, stdio: ['ignore', outFd, errFd], timeout: timeoutMs });
    return { code: result.status ?? -1, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  } finally {
    closeSync(outFd);
    closeSync(errFd);
  }
}

/** The key's URI: module by its Windows path, PIN from a file: URI (no PIN on the command line). */
function keyUri(object = 'signer'): string {
  return `pkcs11:token=airsign-win;object=${object}?module-path=${winPath(join(work, 'testp11.dll'))}&pin-source=file:///${winPath(join(work, 'pin.txt')).replaceAll('\\', '/')}`;
}

/** Files in `dir` that are not `expected`: temp files or anything else a run left behind. */
function strays(dir: string, expected: string[]): string[] {
  return readdirSync(dir).filter((name) => !expected.includes(name));
}

function tarCopy(name: string): string {
  const path = join(work, name);
  copyFileSync(SAMPLE, path);
  return path;
}

beforeAll(() => {
  if (reason !== undefined) return;
  work = mkdtempSync(join(tmpdir(), 'airsign-win-x64-'));
  io = mkdtempSync(join(tmpdir(), 'airsign-win-x64-io-'));
  for (const [output, source, libs] of [
    ['testp11.dll', 'testp11.c', ['-shared', '-lbcrypt']],
    ['hold-open.exe', 'hold-open.c', []],
  ] as const) {
    const built = spawnSync(MINGW, ['-O2', '-Wall', '-Wextra', '-Werror', '-o', join(work, output), join(SOURCES, source), ...libs], { encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`${MINGW} ${source}: ${built.stderr}`);
  }
  writeFileSync(join(work, 'pin.txt'), '1234\n');
  copyFileSync(join(FIXTURES, 'cert.pem'), join(work, 'cert.pem'));
  moduleUri = keyUri();
});
afterAll(() => {
  for (const dir of [work, io]) if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** The Notation envelopes in an extracted layout (the layers of its signature manifests). */
function notationEnvelopes(dir: string): Buffer[] {
  const envelopes: Buffer[] = [];
  const blobs = join(dir, 'blobs', 'sha256');
  for (const hex of readdirSync(blobs)) {
    let manifest: { artifactType?: string; config?: { mediaType?: string }; layers?: Array<{ mediaType: string; digest: string }> };
    try {
      manifest = JSON.parse(readFileSync(join(blobs, hex), 'utf8')) as typeof manifest;
    } catch {
      continue;
    }
    // Notation marks its signature manifest by artifactType or (image-spec 1.0) the config's media type.
    if ((manifest.artifactType ?? manifest.config?.mediaType) !== 'application/vnd.cncf.notary.signature') continue;
    for (const layer of manifest.layers ?? []) envelopes.push(readFileSync(join(blobs, layer.digest.split(':')[1]!)));
  }
  return envelopes;
}

describe('win-x64 under wine: PKCS#11 through koffi with a mingw-built module', () => {
  it.skipIf(reason !== undefined)(title('signs with a pkcs11: URI in notation, cosign and cosign-bundle; verify passes under wine; peers on Linux agree'), () => {
    const tar = tarCopy('app.tar');
    const signed = airsign(['sign', 'app.tar', '--key', moduleUri, '--cert', 'cert.pem', '--identity', ID, '--format', 'notation,cosign,cosign-bundle']);
    expect(signed.stderr + signed.stdout, signed.stderr).toMatch(/^signed app\.tar: 3 signature\(s\)$/m);
    expect(signed.code).toBe(0);
    expect(signed.stderr).not.toMatch(/warning|\n\s+at /);

    // Under wine: the public key comes from the token (its public object, no login), the Notation
    // chain from the trust store holding the fixture certificate.
    writeFileSync(join(work, 'trustpolicy.json'), JSON.stringify({
      version: '1.0',
      trustPolicies: [{ name: 'win', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:win'], trustedIdentities: ['*'] }],
    }));
    const store = join(work, 'truststore', 'x509', 'ca', 'win');
    mkdirSync(store, { recursive: true });
    copyFileSync(join(FIXTURES, 'cert.pem'), join(store, 'cert.pem'));
    const tokenKey = `pkcs11:token=airsign-win;object=signer?module-path=${winPath(join(work, 'testp11.dll'))}`;
    const verified = airsign(['verify', 'app.tar', '--identity', ID, '--trust-policy', 'trustpolicy.json', '--trust-store', 'truststore',
      '--key', tokenKey, '--format', 'notation', '--format', 'cosign', '--format', 'cosign-bundle']);
    expect(verified.stdout, verified.stderr).toMatch(/^Verified\.$/m);
    expect(verified.code).toBe(0);
    expect(verified.stdout.match(/: VALID \(signer /g)).toHaveLength(3);

    // On Linux, with other tools, against the fixture's key: each signature is the fixed test key's.
    const dir = extractTar(tar);
    try {
      const envelopes = notationEnvelopes(dir);
      expect(envelopes).toHaveLength(1);
      const python = verifyWithPython(join(FIXTURES, 'cert.pem'), envelopes.map((bytes, i) => ({ bytes, name: `envelope-${i}.jws` })), { algorithm: 'ES256' });
      expect(python.lines.join('\n')).toMatch(/^OK JWS ES256$/m);
      expect(python.code).toBe(0);
      const image = cosignLocalImage(dir);
      expect(image.signatures).toHaveLength(1);
      expect(opensslVerifiesCosign(PUBLIC_PEM, image.signatures[0]!.payload, image.signatures[0]!.signature)).toBe(true);
      expect(image.bundles).toHaveLength(1);
      const statement = verifyBundleWithSigstoreJs(image.bundles[0]!, PUBLIC_PEM).statement;
      expect(statement.subject[0]!.digest['sha256']).toBe(image.target.digest.split(':')[1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The certificate and public key fixtures are one key pair (what the peers above relied on).
    expect(new X509Certificate(readFileSync(join(FIXTURES, 'cert.pem'))).publicKey.export({ type: 'spki', format: 'pem' })).toBe(PUBLIC_PEM);
  }, 300_000);

  it.skipIf(reason !== undefined)(title('a wrong PIN: one line, exit 3, the tar unchanged'), () => {
    const tar = tarCopy('wrong-pin.tar');
    writeFileSync(join(work, 'wrong-pin.txt'), '9999\n');
    const uri = moduleUri.replace('pin.txt', 'wrong-pin.txt');
    const run = airsign(['sign', 'wrong-pin.tar', '--key', uri, '--cert', 'cert.pem', '--identity', ID, '--format', 'cosign']);
    expect(run.stderr).toMatch(/^airsign: error: .*CKR_PIN_INCORRECT.*\n$/);
    expect(run.code).toBe(3);
    expect(sha256(tar)).toBe(sha256(SAMPLE));
  }, 180_000);
});

/** Starts hold-open.exe on `file` with `share`; resolves once it holds the file. */
async function holdOpen(file: string, share: 'none' | 'r' | 'rwd'): Promise<{ release: () => Promise<void> }> {
  const ready = join(work, `ready-${share}`);
  const release = join(work, `release-${share}`);
  rmSync(ready, { force: true });
  rmSync(release, { force: true });
  const child: ChildProcess = spawn('wine', [join(work, 'hold-open.exe'), winPath(file), share, winPath(ready), winPath(release)], { env: WINE_ENV, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const deadline = Date.now() + 60_000;
  while (!existsSync(ready) || readFileSync(ready, 'utf8') === '') {
    if (Date.now() > deadline) throw new Error('hold-open.exe did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(readFileSync(ready, 'utf8')).toBe('open');
  return {
    release: async () => {
      writeFileSync(release, '');
      expect(await exited).toBe(0);
      rmSync(ready, { force: true });
      rmSync(release, { force: true });
    },
  };
}

describe('win-x64 under wine: Windows file semantics', () => {
  // A program that lets others read (most viewers, scanners: FILE_SHARE_READ), and one that also
  // lets them delete or rename (FILE_SHARE_DELETE, as Node and airsign itself open files): Windows
  // replaces neither while it is open. airsign reads the tar, tries the replace for about 9 s
  // (scanners let go by then), then stops with one line; the input is unchanged and no temp is left.
  for (const share of ['r', 'rwd'] as const) {
    it.skipIf(reason !== undefined)(title(`sign in place while another process holds the tar open (share ${share}): one line, exit 2, input unchanged, nothing left`), async () => {
      const name = `held-${share}.tar`;
      const tar = tarCopy(name);
      const before = readdirSync(work);
      const holder = await holdOpen(tar, share);
      let run: Run;
      try {
        run = airsign(['sign', name, '--key', moduleUri, '--cert', 'cert.pem', '--identity', ID, '--format', 'cosign']);
      } finally {
        await holder.release();
      }
      expect(run.stderr).toMatch(new RegExp(`^airsign: error: cannot replace ${name}: Windows refused for \\d+ s \\(operation not permitted\\), most often because another program has it open; ${name} is unchanged: close that program and run again, or give --output\\n$`));
      expect(run.code).toBe(2);
      expect(sha256(tar)).toBe(sha256(SAMPLE));
      expect(strays(work, before)).toEqual([]);
    }, 180_000);
  }

  // A program that shares the file with no one: airsign cannot even read it.
  it.skipIf(reason !== undefined)(title('a tar held open without sharing: one line naming that, exit 2, unchanged'), async () => {
    const tar = tarCopy('locked.tar');
    const before = readdirSync(work);
    const holder = await holdOpen(tar, 'none');
    let run: Run;
    try {
      run = airsign(['sign', 'locked.tar', '--key', moduleUri, '--cert', 'cert.pem', '--identity', ID, '--format', 'cosign']);
    } finally {
      await holder.release();
    }
    expect(run.stderr).toBe('airsign: error: cannot open locked.tar: another program has it open and shares it with no one (close that program and run again)\n');
    expect(run.code).toBe(2);
    expect(sha256(tar)).toBe(sha256(SAMPLE));
    expect(strays(work, before)).toEqual([]);
  }, 180_000);

  // A read-only tar (FILE_ATTRIBUTE_READONLY; wine keeps it as the file's write bits): signing to
  // a new file leaves it as it was; signing in place succeeds and the tar stays read-only, as on
  // Linux (a replaced file keeps its mode) and as a copy keeps the attribute on Windows.
  it.skipIf(reason !== undefined)(title('a read-only tar (attrib +r): -o to a new path leaves it read-only and unchanged; in place it is signed and stays read-only'), () => {
    const tar = tarCopy('readonly.tar');
    const attrib = spawnSync('wine', ['cmd', '/c', 'attrib', '+r', winPath(tar)], { env: WINE_ENV, stdio: 'ignore' });
    expect(attrib.status).toBe(0);
    expect(statSync(tar).mode & 0o222).toBe(0);
    const before = readdirSync(work);

    const copy = airsign(['sign', 'readonly.tar', '--key', moduleUri, '--cert', 'cert.pem', '--identity', ID, '--format', 'cosign', '--output', 'readonly-signed.tar']);
    expect(copy.stderr + copy.stdout, copy.stderr).toMatch(/^signed readonly-signed\.tar: 1 signature\(s\)$/m);
    expect(copy.code).toBe(0);
    expect(sha256(tar)).toBe(sha256(SAMPLE));
    expect(statSync(tar).mode & 0o222).toBe(0);
    expect(statSync(join(work, 'readonly-signed.tar')).mode & 0o222).toBe(0); // the new file takes the input's mode

    const inPlace = airsign(['sign', 'readonly.tar', '--key', moduleUri, '--cert', 'cert.pem', '--identity', ID, '--format', 'cosign']);
    expect(inPlace.stderr + inPlace.stdout, inPlace.stderr).toMatch(/^signed readonly\.tar: 1 signature\(s\)$/m);
    expect(inPlace.code).toBe(0);
    expect(sha256(tar)).not.toBe(sha256(SAMPLE));
    expect(statSync(tar).mode & 0o222).toBe(0);
    // wine's own view; it also shows H (hidden): wine hides names starting with "." and keeps that
    // attribute when the temp file (.readonly.tar.airsign-….tmp) is renamed; Windows hides no such name.
    const shown = spawnSync('sh', ['-c', `wine cmd /c attrib ${JSON.stringify(winPath(tar))} > attrib.txt 2>&1 < /dev/null`], { cwd: io, env: WINE_ENV });
    expect(shown.status).toBe(0);
    expect(readFileSync(join(io, 'attrib.txt'), 'utf8')).toMatch(/^A\s+H?R\s+Z:\\/m);
    expect(strays(work, before)).toEqual(['readonly-signed.tar']);

    const dir = extractTar(tar);
    try {
      const image = cosignLocalImage(dir);
      expect(image.signatures).toHaveLength(1);
      expect(opensslVerifiesCosign(PUBLIC_PEM, image.signatures[0]!.payload, image.signatures[0]!.signature)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
