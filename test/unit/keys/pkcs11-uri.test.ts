import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatPkcs11Uri, parsePkcs11Uri } from '../../../src/keys/pkcs11/pkcs11-uri.js';
import { pkcs11Error } from '../../../src/keys/pkcs11/pkcs11-errors.js';
import { Pkcs11CallError } from '../../../src/keys/pkcs11/pkcs11-ffi.js';
import { assertNotMistypedPkcs11Uri, keySpecWarnings } from '../../../src/keys/open-key.js';

describe('parsePkcs11Uri (RFC 7512 as cosign accepts it)', () => {
  it('parses the cosign-style example', () => {
    const u = parsePkcs11Uri('pkcs11:token=rel;object=signer;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin');
    expect(u.token).toBe('rel');
    expect(u.object).toBe('signer');
    expect(Array.from(u.id ?? [])).toEqual([1]);
    expect(u.modulePath).toBe('/usr/lib/softhsm/libsofthsm2.so');
    expect(u.pinSource).toBe('/run/pin');
    expect(u.pinValue).toBeUndefined();
  });

  it('decodes multi-byte ids, percent-encoded labels, slot-id and type; & works as a path separator', () => {
    const u = parsePkcs11Uri('pkcs11:slot-id=1719131608&id=%DE%ad%be%EF;object=my%20key%3Bx;type=private;manufacturer=SoftHSM');
    expect(u.slotId).toBe(1719131608n);
    expect(Buffer.from(u.id ?? []).toString('hex')).toBe('deadbeef');
    expect(u.object).toBe('my key;x');
    expect(u.type).toBe('private');
    expect(u.token).toBeUndefined();
  });

  it('accepts pin-source=file:///abs', () => {
    expect(parsePkcs11Uri('pkcs11:token=t;object=o?pin-source=file:///etc/pin').pinSource).toBe('/etc/pin');
  });

  it('pin-source file: URLs follow the platform: a Windows drive or share is kept, and written back as a file: URL', () => {
    const win = { platform: 'win32' as const };
    const posix = { platform: 'linux' as const };
    expect(parsePkcs11Uri('pkcs11:token=t;object=o?pin-source=file:///C:/pins/rel.pin', win).pinSource).toBe('C:\\pins\\rel.pin');
    expect(parsePkcs11Uri('pkcs11:token=t;object=o?pin-source=file:C:/pins/rel.pin', win).pinSource).toBe('C:\\pins\\rel.pin');
    expect(parsePkcs11Uri('pkcs11:token=t;object=o?pin-source=file://server/share/my%20pin', win).pinSource).toBe('\\\\server\\share\\my pin');
    expect(parsePkcs11Uri('pkcs11:token=t;object=o?pin-source=file:///C:/pins/rel.pin', posix).pinSource).toBe('/C:/pins/rel.pin');
    expect(parsePkcs11Uri('pkcs11:token=t;object=o?pin-source=file://localhost/etc/pin', posix).pinSource).toBe('/etc/pin');
    // decoded once; ? and # are part of the path; a relative path stays relative
    expect(parsePkcs11Uri('pkcs11:token=t;object=o?pin-source=file:/run/50%25%3Bx?y#z', posix).pinSource).toBe('/run/50%;x?y#z');
    expect(parsePkcs11Uri('pkcs11:token=t;object=o?pin-source=file:pins/rel.pin', posix).pinSource).toBe('pins/rel.pin');
    for (const [text, options] of [
      ['pkcs11:token=t;object=o?pin-source=file:///pins/rel.pin', win],
      ['pkcs11:token=t;object=o?pin-source=file://server/share/pin', posix],
      ['pkcs11:token=t;object=o?pin-source=file:/run/%zz', posix],
    ] as const) {
      expect(() => parsePkcs11Uri(text, options), text).toThrow(expect.objectContaining({ code: 'PKCS11_URI_INVALID' }));
    }
    for (const [path, options] of [
      ['C:\\pins\\my pin;1&2=3%.pin', win],
      ['\\\\server\\share\\pin', win],
      ['pins\\rel.pin', win],
      ['/run/my pin;1&2=3%?#.pin', posix],
      ['rel/pin', posix],
    ] as const) {
      const text = formatPkcs11Uri({ token: 't', pinSource: path }, options);
      expect(parsePkcs11Uri(text, options).pinSource, text).toBe(path);
      expect(String(parsePkcs11Uri(text, options)), text).toBe(text);
    }
    expect(formatPkcs11Uri({ pinSource: 'C:\\pins\\rel.pin' }, win)).toBe('pkcs11:?pin-source=file:///C:/pins/rel.pin');
  });

  it('never shows pin-value in toString, JSON or util.inspect', () => {
    const pin = 'S3cr3t-PIN-4711';
    const u = parsePkcs11Uri(`pkcs11:token=rel;object=signer?module-path=/m.so&pin-value=${pin}`);
    expect(u.pinValue).toBe(pin);
    expect(String(u)).toBe('pkcs11:token=rel;object=signer?module-path=/m.so');
    expect(JSON.stringify(u)).not.toContain(pin);
    expect(inspect(u, { depth: 5 })).not.toContain(pin);
    expect(formatPkcs11Uri(u)).not.toContain('pin');
  });

  it('round-trips through formatPkcs11Uri', () => {
    const text = 'pkcs11:token=my%20token;slot-id=7;id=%01%ff;object=k%C3%A9y;type=cert?module-path=/opt/lib/p11.so&pin-source=file:/run/pin';
    const u = parsePkcs11Uri(text);
    expect(u.object).toBe('kéy');
    const again = parsePkcs11Uri(u.toString());
    expect({ ...again, id: Buffer.from(again.id ?? []).toString('hex') }).toEqual({ ...u, id: Buffer.from(u.id ?? []).toString('hex') });
  });

  it('rejects malformed URIs with PKCS11_URI_INVALID and never echoes a PIN', () => {
    const cases = [
      'pkcs12:token=a',
      'pkcs11:token=a;token=b',
      'pkcs11:token=%zz',
      'pkcs11:slot-id=abc',
      'pkcs11:type=weird',
      'pkcs11:token=a?pin-source=/no/scheme',
      'pkcs11:pin-value',
      'pkcs11:object=%ff%fe',
    ];
    for (const c of cases) {
      expect(() => parsePkcs11Uri(c), c).toThrow(expect.objectContaining({ code: 'PKCS11_URI_INVALID', kind: 'input' }));
    }
    try {
      parsePkcs11Uri('pkcs11:token=a;pin-value=Zz9-secret;pin-value=again');
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('Zz9-secret');
    }
  });
});

describe('a PIN split by an unencoded ; or & is never quoted', () => {
  it.each([
    ['& in the query', 'pkcs11:token=t;object=o?pin-value=Top&Secret77'],
    ['; in the path', 'pkcs11:token=t;pin-value=Top;Secret77;object=o'],
    ['a repeated fragment name', 'pkcs11:token=t;object=o?pin-value=Top&Secret77=1&Secret77=2'],
    ['a fragment taken for the type', 'pkcs11:token=t;object=o;pin-value=Top;type=Secret77'],
    ['a fragment taken for the slot id', 'pkcs11:object=o;pin-value=Top;slot-id=Secret77'],
    ['a % in the PIN', 'pkcs11:token=t;object=o?pin-value=50%Secret77'],
  ])('%s', (_name, uri) => {
    let message = '';
    try {
      parsePkcs11Uri(uri);
    } catch (error) {
      message = (error as Error).message;
      expect(error).toMatchObject({ code: 'PKCS11_URI_INVALID', kind: 'input' });
    }
    expect(message).not.toBe('');
    expect(message).not.toMatch(/Secret77|Top/);
    expect(message).toMatch(/%3B|%25/);
  });

  it('refuses a key spec that looks like a mistyped URI without echoing it, and warns about an inline PIN', () => {
    for (const spec of ['pkcs11;token=t;object=o?pin-value=Secret77', ' pkcs11:token=t;object=o', 'PKCS11 :token=t', 'pkcs:token=t', './key.pem?pin-value=Secret77']) {
      expect(() => assertNotMistypedPkcs11Uri(spec), spec).toThrow(expect.objectContaining({ code: 'PKCS11_URI_INVALID', message: expect.not.stringMatching(/Secret|token=/) }));
    }
    for (const spec of ['pkcs11:token=t;object=o', 'key.pem', 'pkcs11-signer.pem', 'keys/pkcs11.pem']) expect(() => assertNotMistypedPkcs11Uri(spec), spec).not.toThrow();
    expect(keySpecWarnings('pkcs11:token=t;object=o?pin-value=Secret77')).toHaveLength(1);
    expect(keySpecWarnings('pkcs11:token=t;object=o?pin-value=Secret77')[0]).not.toContain('Secret77');
    expect(keySpecWarnings('pkcs11:token=t;object=o?pin-source=file:/p')).toEqual([]);
    expect(keySpecWarnings('key.pem')).toEqual([]);
  });
});

describe('pkcs11Error mapping', () => {
  it('maps each CKR a user can cause to its own code, exit kind key', () => {
    const expectations: Array<[number, string]> = [
      [0xa0, 'PKCS11_PIN_INCORRECT'],
      [0xa4, 'PKCS11_PIN_LOCKED'],
      [0xa2, 'PKCS11_PIN_INVALID'],
      [0x70, 'PKCS11_MECHANISM_UNSUPPORTED'],
      [0x68, 'PKCS11_KEY_NOT_PERMITTED'],
      [0xe0, 'PKCS11_TOKEN_NOT_FOUND'],
      [0x5, 'PKCS11_ERROR'],
    ];
    for (const [rv, code] of expectations) {
      const e = pkcs11Error(new Pkcs11CallError('C_Login pin=1234', rv), { operation: 'login', token: 'rel' });
      expect(e.code).toBe(code);
      expect(e.kind).toBe('key');
      expect(e.message).not.toContain('1234');
      expect(JSON.stringify(e.details)).not.toContain('1234');
    }
  });
});
