// Modules that exist only inside the release bundle: scripts/release-bundle.mjs resolves each
// `airsign-bundle:` name to a file of yargs or y18n (private paths their package exports do not
// list) or to a generated module. Types: what src/cli/load-yargs.ts needs of them.
declare module 'airsign-bundle:yargs-factory' {
  export const YargsFactory: (shim: object) => (processArgs?: readonly string[] | string, cwd?: string) => import('yargs').Argv;
}
declare module 'airsign-bundle:yargs-process-argv' {
  export function getProcessArgvBin(): string;
}
declare module 'airsign-bundle:yargs-parser' {
  const Parser: unknown;
  export default Parser;
}
declare module 'airsign-bundle:y18n' {
  export function y18n(options: { directory: string; updateFiles: boolean }, shim: object): unknown;
}
/** yargs' locale files (locales/<name>.json), their texts by name. */
declare module 'airsign-bundle:yargs-locales' {
  const locales: Readonly<Record<string, string>>;
  export default locales;
}
