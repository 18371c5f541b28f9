/**
 * Issue 16 item 4: what is printed is what was signed. Text from the artifact (platforms, tags,
 * names, media types, certificate subjects, reasons) reaches the terminal escaped in every report
 * line, as error messages already were: no escape sequence, no C1 control, no bidirectional
 * override, and no line feed that would pose as a line of the report.
 */
import { describe, expect, it } from 'vitest';
import { AirsignError } from '../../../src/errors.js';
import { formatInspectReport } from '../../../src/cli/format-inspect-report.js';
import type { InspectReport } from '../../../src/operations/inspect.js';
import { formatVerifyReport, type VerifyReport } from '../../../src/operations/verify.js';
import { printable, printableLines } from '../../../src/printable.js';

const EVIL = 'x\u001b[2K\u001b[1A\rsigned sha256:0000\n  Verified.\u009b31m\u202e\u2028';
const DIGEST = `sha256:${'a'.repeat(64)}`;
// eslint-disable-next-line no-control-regex -- the point: no control character in a printed line
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function expectCleanLines(text: string, lines: number): void {
  const split = text.split('\n');
  expect(split).toHaveLength(lines);
  for (const line of split) expect(line).not.toMatch(CONTROL);
}

describe('printable', () => {
  it('escapes C0, DEL, C1, line separators and bidi overrides; keeps the rest', () => {
    expect(printable(EVIL)).toBe('x\\u001b[2K\\u001b[1A\\rsigned sha256:0000\\n  Verified.\\u009b31m\\u202e\\u2028');
    expect(printable('linux/arm64/v8 ü 日本 ├─')).toBe('linux/arm64/v8 ü 日本 ├─');
    expect(printableLines(`a\n${EVIL}`).split('\n')).toHaveLength(3);
    expect(printableLines(EVIL).replace(/\n/g, '')).not.toMatch(CONTROL);
  });

  it('error messages follow the same rule', () => {
    expect(new AirsignError('LAYOUT_BAD_JSON', EVIL).message).toBe(printable(EVIL));
  });
});

describe('reports', () => {
  it('inspect: tags, names, platforms, media types and errors from the layout', () => {
    const report: InspectReport = {
      schemaVersion: 1,
      source: { kind: 'dir', path: '/tmp/x' },
      layoutVersion: '1.0.0',
      index: { digest: DIGEST, size: 1, mediaType: null, entries: 1 },
      tags: [{ tag: EVIL, name: EVIL, digest: DIGEST, mediaType: EVIL }],
      images: [{
        digest: DIGEST, mediaType: EVIL, size: 1, role: 'index', present: true, platform: EVIL, artifactType: EVIL, tags: [EVIL], error: EVIL,
        layers: { present: 0, missing: 0 }, stripped: false, children: [],
      } as unknown as InspectReport['images'][number]],
      referrers: [{ digest: DIGEST, subject: DIGEST, role: 'signature', mediaType: EVIL, artifactType: EVIL, present: true } as unknown as InspectReport['referrers'][number]],
      cosignTags: [{ tag: EVIL, digest: DIGEST, subject: DIGEST, kind: 'sig', present: true }],
      cosignSignatures: [{ tag: EVIL, layer: DIGEST, identity: EVIL, signedDigest: DIGEST, hasSignature: true } as unknown as InspectReport['cosignSignatures'][number]],
      sigstoreBundles: [{ manifest: DIGEST, subject: DIGEST, predicateType: EVIL, statementSubjects: [DIGEST] }],
      blobs: { present: 1, presentBytes: 1, missing: 0, missingBytes: 0, unreferenced: [] },
      extraFiles: [EVIL],
    };
    const text = formatInspectReport(report);
    expectCleanLines(text, 13);
    expect(text).toContain('x\\u001b[2K\\u001b[1A\\rsigned sha256:0000\\n  Verified.');
  });

  it('verify: target media type, signer, reasons, warnings and requirements', () => {
    const report: VerifyReport = {
      source: { kind: 'tar', path: '/tmp/x.tar' },
      target: { digest: DIGEST, mediaType: EVIL, size: 1 },
      identity: EVIL,
      integrity: { blobsChecked: 1, bytesChecked: 1, failures: [{ digest: DIGEST, reason: EVIL }], notPresent: [{ digest: DIGEST, role: EVIL, size: 1 }] },
      signatures: [{ format: 'notation', signature: DIGEST, signer: EVIL, verdict: 'invalid', reason: EVIL, checks: [], warnings: [EVIL] }],
      requirements: [{ format: 'notation', satisfied: false, reason: EVIL, policy: EVIL }],
      notes: [EVIL],
      verified: false,
    };
    const text = formatVerifyReport(report);
    expectCleanLines(text, 10); // target, blobs, one failure, one absent layer, signature, reason, warning, requirement, note, verdict
    expect(text.split('\n').filter((l) => /^\s*Verified\.$/.test(l))).toEqual([]);
  });
});
