// apt-get, as the test command (scripts/test-prereqs.mjs) and the benchmark (bench/lib/debian-tool.mjs) run it.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

/** Runs the commands in turn (argv arrays), noninteractive; false at the first that fails. */
export function runAptCommands(commands) {
  for (const [command, ...args] of commands) {
    // apt-get's output is shown as it comes: an install takes a while, and its errors are the diagnosis.
    const result = spawnSync(command, args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (result.status !== 0) return false;
  }
  return true;
}

/** Whether apt has package lists (a fresh container has none until `apt-get update`). */
export function hasPackageLists() {
  try {
    return readdirSync('/var/lib/apt/lists').some((name) => /_Packages(\.\w+)?$/.test(name));
  } catch {
    return false;
  }
}
