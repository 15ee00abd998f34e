// Tools the benchmark drives (HAProxy, wrk) come from Debian's packages: installed with apt-get when missing
// and the benchmark runs as root; otherwise it stops and says how to install them.
import { spawnSync } from 'node:child_process';
import { hasPackageLists, runAptCommands } from '../../scripts/lib/apt.mjs';

/**
 * What to do about a tool (pure): use it, install its package (the apt-get commands to run, `apt-get update`
 * first when the machine has no package lists yet, and once more after an update if the install fails on
 * stale lists), or stop with a message that says how to install it.
 */
export function planToolInstall({ tool, pkg, present, isRoot, hasAptGet, hasPackageLists }) {
  if (present) return { kind: 'present' };
  const how = `Install it with \`apt-get update && apt-get install -y ${pkg}\` (Debian), then run \`npm run bench\` again.`;
  if (!isRoot) {
    return {
      kind: 'refuse',
      message: `${tool} is not installed. ${how} (The benchmark installs it itself when run as root.)`,
    };
  }
  if (!hasAptGet) {
    return {
      kind: 'refuse',
      message: `${tool} is not installed and there is no apt-get to install ${pkg} with. Install ${tool}, then run \`npm run bench\` again.`,
    };
  }
  const update = ['apt-get', 'update'];
  const install = ['apt-get', 'install', '-y', pkg];
  return hasPackageLists
    ? { kind: 'install', commands: [install], retry: [update, install] }
    : { kind: 'install', commands: [update, install], retry: null };
}

/**
 * The tool's version line: `probe()` answers it, or null when the tool is missing. A missing tool is installed
 * as `planToolInstall` decides, with apt-get's output shown, then probed again.
 */
export function ensureDebianTool({ tool, pkg, probe, log = (line) => console.log(line) }) {
  const version = probe();
  if (version !== null) return version;
  const plan = planToolInstall({
    tool,
    pkg,
    present: false,
    isRoot: process.getuid?.() === 0,
    hasAptGet: spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0,
    hasPackageLists: hasPackageLists(),
  });
  if (plan.kind === 'refuse') throw new Error(plan.message);
  log(`${tool} is not installed: installing Debian's ${pkg} package`);
  const ok = runAptCommands(plan.commands) || (plan.retry !== null && runAptCommands(plan.retry));
  const installed = ok ? probe() : null;
  if (installed === null) {
    throw new Error(
      `apt-get could not install ${pkg} (its output is above); install ${tool}, then run \`npm run bench\` again.`,
    );
  }
  return installed;
}
