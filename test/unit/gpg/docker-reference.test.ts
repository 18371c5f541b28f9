/** --identity parsing and normalization follow distribution/reference as containers/image uses it. */
import { describe, expect, it } from 'vitest';
import { parseDockerReference } from '../../../src/formats/docker-reference.js';

describe('parseDockerReference', () => {
  it.each([
    ['app:1.4', 'docker.io/library/app:1.4', 'library/app'],
    ['busybox', 'docker.io/library/busybox', 'library/busybox'],
    ['org/app:v1', 'docker.io/org/app:v1', 'org/app'],
    ['index.docker.io/org/app:v1', 'docker.io/org/app:v1', 'org/app'],
    ['127.0.0.1:5000/test:v1', '127.0.0.1:5000/test:v1', 'test'],
    ['localhost/ns/app', 'localhost/ns/app', 'ns/app'],
    ['registry.example.com/a/b/c:1', 'registry.example.com/a/b/c:1', 'a/b/c'],
    ['quay.io/x/y-z__w.v:tag_1.0-rc', 'quay.io/x/y-z__w.v:tag_1.0-rc', 'x/y-z__w.v'],
    [`reg:5000/app@sha256:${'a'.repeat(64)}`, `reg:5000/app@sha256:${'a'.repeat(64)}`, 'app'],
    [`reg/app:1@sha256:${'b'.repeat(64)}`, `docker.io/reg/app:1@sha256:${'b'.repeat(64)}`, 'reg/app'],
    ['Registry.Example.com/app:1', 'Registry.Example.com/app:1', 'app'],
  ])('%s → %s (lookaside path %s)', (input, text, path) => {
    const ref = parseDockerReference(input);
    expect(ref.text).toBe(text);
    expect(ref.path).toBe(path);
  });

  it.each([
    ['', 'empty'],
    ['UPPERCASEISINVALID', 'lower case'],
    ['reg.io/App:1', 'lower case'],
    ['reg.io/app:', 'tag'],
    ['reg.io/app:-bad', 'tag'],
    ['reg.io/app@sha256:xyz', 'digest'],
    ['reg.io//app', 'expected [registry[:port]/]repository'],
    ['reg.io/app/', 'expected [registry[:port]/]repository'],
    ['reg.io/a..b', 'expected [registry[:port]/]repository'],
    ['-reg.io/app', 'registry'],
    ['a'.repeat(64), 'image ID'],
    [`reg.io/${'a'.repeat(260)}`, '255'],
    ['with space/app', 'white space'],
  ])('%j is refused (%s)', (input, why) => {
    let error: unknown;
    try {
      parseDockerReference(input);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'IDENTITY_INVALID', kind: 'input' });
    expect((error as Error).message).toContain(why);
    expect((error as Error).message).not.toContain('\n');
  });
});
