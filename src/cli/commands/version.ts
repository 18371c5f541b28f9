// `airsign version` (and `airsign --version`): what this airsign is and whether PKCS#11 works here.
import { isSea } from 'node:sea';
import { loadKoffi } from '../../keys/pkcs11/koffi-loader.js';
import { VERSION } from '../../version.js';
import { defineCommand } from '../command.js';

export interface VersionReport {
  version: string;
  node: string;
  platform: string;
  arch: string;
  /** "single-file" for the release executable, "npm" when run from the package's files. */
  build: 'single-file' | 'npm';
  pkcs11: { loaded: true; koffi: string } | { loaded: false; error: string };
}

/** Loads PKCS#11 support (koffi) to say whether it works; never throws. */
function versionReport(): VersionReport {
  let pkcs11: VersionReport['pkcs11'];
  try {
    const koffi = loadKoffi();
    pkcs11 = { loaded: true, koffi: koffi.version };
  } catch (error) {
    pkcs11 = { loaded: false, error: (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ') };
  }
  return { version: VERSION, node: process.versions.node, platform: process.platform, arch: process.arch, build: isSea() ? 'single-file' : 'npm', pkcs11 };
}

function versionText(report: VersionReport): string {
  return [
    `airsign ${report.version}`,
    `node ${report.node} (${report.build === 'single-file' ? 'inside this executable' : 'npm package'})`,
    `platform ${report.platform}-${report.arch}`,
    report.pkcs11.loaded ? `pkcs11 available (koffi ${report.pkcs11.koffi})` : `pkcs11 not available: ${report.pkcs11.error}`,
  ].join('\n');
}

export const versionCommand = defineCommand({
  command: 'version',
  describe: 'Show the version, the Node version inside, the platform and whether PKCS#11 support loads (also --version)',
  builder: (yargs) => yargs,
  examples: [
    ['$0 version', 'Show version, Node, platform and PKCS#11 support'],
    ['$0 version --json', 'The same as one JSON document'],
  ],
  run: async () => {
    const report = versionReport();
    return { text: versionText(report), json: report };
  },
});
