/** The human text of `airsign inspect` (without --json): a tree per image, then signatures and referrers. */
import type { InspectNode, InspectReport } from '../operations/inspect.js';
import { humanSize } from './human-size.js';
import { printable } from '../printable.js';

function short(digest: string): string {
  const colon = digest.indexOf(':');
  return `${digest.slice(0, colon + 1)}${digest.slice(colon + 1, colon + 13)}`;
}

/** The human tree for `inspect` without --json. */
export function formatInspectReport(report: InspectReport): string {
  const lines: string[] = [];
  const b = report.blobs;
  lines.push(`Layout   ${report.source.path} (${report.source.kind}, oci-layout ${report.layoutVersion || '?'})`);
  lines.push(`Blobs    ${b.present} present (${humanSize(b.presentBytes)}), ${b.missing} referenced but missing (${humanSize(b.missingBytes)})`);
  if (report.tags.length === 0) lines.push('Tags     (none)');
  for (const [i, t] of report.tags.entries()) {
    lines.push(`${i === 0 ? 'Tags   ' : '       '}  ${t.tag ?? '(no ref.name)'} -> ${short(t.digest)}${t.name ? `  (${t.name})` : ''}`);
  }
  if (report.extraFiles.length) lines.push(`Files    ${report.extraFiles.join(', ')}`);
  const describe = (n: InspectNode): string => {
    const parts = [n.role.padEnd(11), short(n.digest)];
    if (n.platform) parts.push(n.platform);
    parts.push(humanSize(n.size));
    parts.push(n.mediaType);
    if (n.artifactType) parts.push(`artifactType=${n.artifactType}`);
    if (n.tags?.length) parts.push(`[${n.tags.join(', ')}]`);
    if (!n.present) parts.push(n.role === 'layer' ? 'STRIPPED/MISSING' : 'MISSING');
    if (n.error) parts.push(`UNREADABLE: ${n.error}`);
    if (n.referrers?.length) parts.push(`(${n.referrers.length} referrer${n.referrers.length > 1 ? 's' : ''})`);
    return parts.join('  ');
  };
  // Depth first without recursion (the depth is bounded by MAX_GRAPH_DEPTH anyway).
  const walk = (root: InspectNode) => {
    const stack: Array<{ n: InspectNode; prefix: string; last: boolean; top: boolean }> = [{ n: root, prefix: '', last: true, top: true }];
    while (stack.length > 0) {
      const { n, prefix, last, top } = stack.pop()!;
      lines.push(top ? describe(n) : `${prefix}${last ? '└─ ' : '├─ '}${describe(n)}`);
      const kids = n.children ?? [];
      const childPrefix = top ? '' : `${prefix}${last ? '   ' : '│  '}`;
      for (let i = kids.length - 1; i >= 0; i--) stack.push({ n: kids[i]!, prefix: childPrefix, last: i === kids.length - 1, top: false });
    }
  };
  for (const image of report.images) {
    lines.push('');
    lines.push(`Image ${short(image.digest)}: ${image.layers.present} layer${image.layers.present === 1 ? '' : 's'} present, ${image.layers.missing} missing${image.stripped ? ' (stripped)' : ''}`);
    walk(image);
  }
  lines.push('');
  if (report.referrers.length === 0 && report.cosignTags.length === 0) lines.push('Signatures and referrers: none');
  else {
    lines.push('Signatures and referrers:');
    for (const r of report.referrers) {
      lines.push(`  ${r.role.padEnd(11)} ${short(r.digest)} -> subject ${short(r.subject)}  ${r.artifactType ?? r.mediaType}${r.present ? '' : '  MISSING'}`);
    }
    for (const t of report.cosignTags) {
      lines.push(`  cosign tag  ${t.tag} -> ${short(t.digest)}${t.present ? '' : '  MISSING'}`);
      for (const sig of report.cosignSignatures.filter((c) => c.tag === t.tag)) {
        lines.push(`    cosign signature ${short(sig.layer)}: ${sig.error ?? `${sig.identity ?? '?'} @ ${sig.signedDigest ? short(sig.signedDigest) : '?'}${sig.hasSignature ? '' : '  NO SIGNATURE'}`}`);
      }
    }
    for (const b of report.sigstoreBundles) {
      lines.push(`  sigstore bundle ${short(b.manifest)} -> subject ${short(b.subject)}: ${b.error ?? `${b.predicateType ?? '?'}, statement over ${(b.statementSubjects ?? []).map(short).join(', ') || '?'}`}`);
    }
  }
  // Tags, names, platforms, media types and errors come from the layout: each line is escaped on
  // its own (src/printable.ts), so no value can drive the terminal or pose as a line.
  return lines.map(printable).join('\n');
}
