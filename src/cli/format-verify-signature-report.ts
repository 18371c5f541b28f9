/** The text `airsign verify-signature` prints without --json (the library returns the report as data). */
import type { VerifySignatureReport } from '../operations/verify-signature.js';

/** The human report for `verify-signature` without --json. */
export function formatVerifySignatureReport(report: VerifySignatureReport): string {
  const lines: string[] = [];
  if (report.verdict !== undefined) {
    lines.push(`${report.format} signature ${report.signature}: ${report.verdict.toUpperCase()}${report.signer ? ` (signed by ${report.signer})` : ''}`);
    if (report.signedReference !== undefined) lines.push(`  signed identity ${report.signedReference}, manifest ${report.signedDigest}`);
    lines.push(`  ${report.reason}`);
  }
  if (report.policy !== undefined) {
    lines.push(`policy ${report.policy.path}, scope ${report.policy.scope}:`);
    for (const r of report.policy.requirements) lines.push(`  ${r.type}: ${r.satisfied ? 'satisfied' : 'NOT satisfied'}: ${r.reason}`);
    lines.push(report.verified ? 'Verified.' : 'Verification FAILED.');
  }
  return lines.join('\n');
}
