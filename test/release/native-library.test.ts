/**
 * src/release/native-library.ts on its own (no release build needed): the library file is written
 * once, named by its SHA-256, checked before every load, rewritten when changed; a directory that
 * cannot be used (load fails there, e.g. noexec; not private) is skipped for the next; when none
 * works the error names each directory and why. The executables are tested in release.test.ts.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { isAirsignError } from '../../src/errors.js';
import { placeAndLoad, sha256Hex, type EmbeddedLibrary } from '../../src/release/native-library.js';
import { testTempDir } from '../helpers/temp-dir.js';

const bytes = new TextEncoder().encode('pretend this is koffi.node');
const library: EmbeddedLibrary = { name: 'koffi-9.9.9', bytes, sha256: sha256Hex(bytes) };
const fileName = `koffi-9.9.9-${library.sha256}.node`;

let base: string;
beforeEach(() => {
  base = testTempDir('airsign-native-');
});

/** A loader that records what it loaded and what the file held at that moment. */
function recordingLoader(refuse: (path: string) => boolean = () => false) {
  const loads: Array<{ path: string; content: string }> = [];
  const load = (path: string) => {
    if (refuse(path)) throw new Error('failed to map segment from shared object');
    loads.push({ path, content: readFileSync(path, 'utf8') });
    return { loaded: path };
  };
  return { loads, load };
}

describe('placeAndLoad', () => {
  it('writes the library once, named by its SHA-256, owner-only, and loads that file', () => {
    const dir = join(base, 'cache', 'airsign', 'native');
    const { loads, load } = recordingLoader();
    const placed = placeAndLoad(library, [dir], load);
    expect(placed.path).toBe(join(dir, fileName));
    expect(loads).toEqual([{ path: join(dir, fileName), content: 'pretend this is koffi.node' }]);
    expect(readdirSync(dir)).toEqual([fileName]);
    if (process.platform !== 'win32') expect(readdirSync(join(base, 'cache')).length).toBe(1);
    placeAndLoad(library, [dir], load);
    expect(readdirSync(dir)).toEqual([fileName]); // nothing new per run
  });

  it('rewrites a changed file before loading it, and never loads the changed bytes', () => {
    const dir = join(base, 'native');
    const { loads, load } = recordingLoader();
    placeAndLoad(library, [dir], load);
    writeFileSync(join(dir, fileName), 'tampered');
    placeAndLoad(library, [dir], load);
    expect(loads.map((l) => l.content)).toEqual(['pretend this is koffi.node', 'pretend this is koffi.node']);
    expect(readdirSync(dir)).toEqual([fileName]);
  });

  it('tries the next directory when loading fails in one (noexec), and when one is writable by others', () => {
    const noexec = join(base, 'noexec');
    const open = join(base, 'open');
    const good = join(base, 'good');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const { loads, load } = recordingLoader((path) => path.startsWith(noexec));
    const placed = placeAndLoad(library, [noexec, open, good], load);
    expect(placed.path).toBe(join(good, fileName));
    expect(loads.map((l) => l.path)).toEqual([join(good, fileName)]);
    if (process.platform !== 'win32') expect(existsSync(join(open, fileName))).toBe(false);
  });

  it('fails with NATIVE_LIBRARY_UNAVAILABLE naming every directory and why when none works', () => {
    const a = join(base, 'a');
    const b = join(base, 'b-is-a-file');
    writeFileSync(b, '');
    const { load } = recordingLoader((path) => path.startsWith(a));
    let error: unknown;
    try {
      placeAndLoad(library, [a, b], load);
    } catch (e) {
      error = e;
    }
    expect(isAirsignError(error) && error.code).toBe('NATIVE_LIBRARY_UNAVAILABLE');
    const message = (error as Error).message;
    expect(message).toContain(`${a}: failed to map segment from shared object`);
    expect(message).toContain(`${b}: `);
    expect(message).toContain('AIRSIGN_CACHE_DIR');
    expect(message).not.toContain('\n');
  });

  it('refuses an embedded library whose bytes do not match the hash fixed at build time', () => {
    const { load } = recordingLoader();
    expect(() => placeAndLoad({ ...library, sha256: sha256Hex(new Uint8Array([1])) }, [join(base, 'x')], load)).toThrow(/damaged \(SHA-256 mismatch\)/);
  });
});
