/**
 * Whether this run talks to a server: `--server` among the arguments (before `--`), or SLIPWAY_SERVER set. Read
 * before commander parses, because the two modes register different actions under the same verbs. Its own file, so
 * that a local run does not load the API client to ask.
 */
export function wantsRemoteServer(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  for (const arg of argv) {
    if (arg === '--') break;
    if (arg === '--server' || arg.startsWith('--server=')) return true;
  }
  return Boolean(env.SLIPWAY_SERVER?.trim());
}
