/**
 * Whether the command line asks for Slipway's version: `-V` or `--version` before any verb. Commander's own
 * version option would be a program option, recognised after the verb too, and take `release create --version
 * 1.2.0` for itself; so it is decided here, before commander parses. Pure.
 */
export function wantsVersion(args: readonly string[], verbs: ReadonlySet<string>): boolean {
  for (const arg of args) {
    if (verbs.has(arg)) return false;
    if (arg === '--version' || arg === '-V') return true;
  }
  return false;
}
