// `npm test` runs this first: the tests use real things from Debian's packages (see REQUIREMENTS for which and
// why). What is missing is installed with apt-get when running as root; otherwise it stops and says exactly what
// to install. Everything present: a few file checks, no apt-get at all.
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { hasPackageLists, runAptCommands } from './lib/apt.mjs';

/**
 * What the test suite needs: a command on the PATH (`command`), or a file (`file`, a glob with one `*` allowed
 * in a directory name), and the Debian package that brings it.
 */
export const REQUIREMENTS = [
  // better-sqlite3 is built from source when no prebuilt binary can be fetched (npm ci, and the package test's
  // fresh install of the packed tarball); that test also lists the tarball with tar.
  { command: 'python3', pkg: 'python3', why: 'building better-sqlite3' },
  { command: 'make', pkg: 'make', why: 'building better-sqlite3' },
  { command: 'g++', pkg: 'g++', why: 'building better-sqlite3' },
  { command: 'tar', pkg: 'tar', why: 'listing the packed package' },
  { command: 'prometheus', pkg: 'prometheus', why: 'canary analysis against a real Prometheus' },
  // The fleet tests run real sshd hosts in network namespaces (ip, unshare/nsenter, sshd, ssh-keygen, flock).
  { command: 'ip', pkg: 'iproute2', why: 'the SSH testbed (network namespaces)' },
  { command: 'nsenter', pkg: 'util-linux', why: 'the SSH testbed (network namespaces)' },
  { file: '/usr/sbin/sshd', pkg: 'openssh-server', why: 'SSH hosts (a real sshd)' },
  { command: 'ssh', pkg: 'openssh-client', why: 'SSH hosts (ssh, ssh-keygen)' },
  { command: 'git', pkg: 'git', why: 'continuous deployment from a real git repository' },
  // `slipway init` on a Python app writes a gunicorn command; the init test deploys it (PyPI is not needed).
  { command: 'gunicorn', pkg: 'gunicorn', why: 'slipway init on a Python (WSGI) app, deployed' },
  { command: 'openssl', pkg: 'openssl', why: 'TLS verification against a certificate made by openssl' },
  // Let's Encrypt's test CA, started by the ACME tests on loopback, with pebble-challtestsrv (same package) as its DNS.
  { command: 'pebble', pkg: 'pebble', why: 'ACME: issue, renew and revoke against a real CA' },
  // The container tests start their own dockerd (docker.io brings docker-init) and make a base image from busybox.
  { command: 'dockerd', pkg: 'docker.io', why: 'container targets (the tests start their own dockerd)' },
  { command: 'busybox', pkg: 'busybox-static', why: "the container tests' base image" },
  // The registry tests start Debian's Distribution (htpasswd auth, TLS from a test CA); htpasswd makes the bcrypt entry.
  {
    file: '/usr/bin/docker-registry',
    pkg: 'docker-registry',
    why: 'pushing to and pulling from a real registry',
  },
  { command: 'htpasswd', pkg: 'apache2-utils', why: "the test registry's htpasswd (bcrypt) login" },
  // The migration tests start a private PostgreSQL server (Debian's) and use pg_dump/pg_restore.
  { file: '/usr/lib/postgresql/*/bin/postgres', pkg: 'postgresql', why: 'PostgreSQL migrations and stores' },
  { command: 'pg_dump', pkg: 'postgresql-client', why: 'PostgreSQL backups (pg_dump, pg_restore)' },
  // The dashboard's browser tests drive Debian's chromium with playwright-core (never a downloaded browser).
  { command: 'chromium', pkg: 'chromium', why: "the dashboard's browser tests" },
  // The HTTPS browser test trusts its test CA the way a person would on Linux: in an NSS database (certutil).
  { command: 'certutil', pkg: 'libnss3-tools', why: "the browser's HTTPS test (trusting the test CA)" },
  {
    file: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
    pkg: 'fonts-dejavu-core',
    why: 'readable screenshots in the browser tests',
  },
];

/**
 * What to do (pure): nothing when nothing is missing; as root with apt-get, the commands that install the
 * missing packages (`apt-get update` first when the machine has no package lists, else only once the install
 * failed on stale lists); otherwise stop with a message that names the packages and the command.
 * `missing`: the requirements that are not met.
 */
export function planPrereqs({ missing, isRoot, hasAptGet, hasPackageLists, platform = 'linux' }) {
  if (missing.length === 0) return { kind: 'present' };
  const pkgs = [...new Set(missing.map((r) => r.pkg))];
  const list = pkgs
    .map((pkg) => {
      const whys = [...new Set(missing.filter((r) => r.pkg === pkg).map((r) => r.why))];
      return `  ${pkg}: ${whys.join('; ')}`;
    })
    .join('\n');
  const head = `The tests need these Debian packages, missing here:\n${list}\n`;
  const command = `apt-get update && apt-get install -y ${pkgs.join(' ')}`;
  const subset = 'To run some tests without them: npx vitest run <file or directory>.';
  if (platform !== 'linux') {
    return {
      kind: 'refuse',
      message: `${head}The test suite runs on Linux (Debian or Ubuntu). ${subset}`,
    };
  }
  if (!isRoot) {
    return {
      kind: 'refuse',
      message: `${head}Install them with:\n  sudo ${command.replace('&& apt-get', '&& sudo apt-get')}\nthen run \`npm test\` again (as root, \`npm test\` installs them itself). ${subset}`,
    };
  }
  if (!hasAptGet) {
    return {
      kind: 'refuse',
      message: `${head}There is no apt-get here to install them with: install what they provide, then run \`npm test\` again. ${subset}`,
    };
  }
  const update = ['apt-get', 'update', '-qq'];
  const install = ['apt-get', 'install', '-y', '-qq', ...pkgs];
  return {
    kind: 'install',
    pkgs,
    commands: hasPackageLists ? [install] : [update, install],
    retry: hasPackageLists ? [update, install] : null,
    failed: `${head}apt-get could not install them (its output is above). Install them (\`${command}\`), then run \`npm test\` again.`,
  };
}

/** The requirements not met on this machine. */
export function missingRequirements(requirements = REQUIREMENTS) {
  return requirements.filter((r) => !(r.command ? onPath(r.command) : fileExists(r.file)));
}

function onPath(command) {
  // The sbin directories too: a user's PATH often lacks them, and ip or sshd live there.
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  return dirs.some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Whether `path` exists; a `*` stands for any one directory name. */
function fileExists(path) {
  const star = path.indexOf('*');
  if (star === -1) return existsSync(path);
  const parent = path.slice(0, path.lastIndexOf('/', star));
  const rest = path.slice(path.indexOf('/', star));
  try {
    return readdirSync(parent).some((name) => existsSync(join(parent, name, rest)));
  } catch {
    return false;
  }
}

function main() {
  const plan = planPrereqs({
    missing: missingRequirements(),
    isRoot: process.getuid?.() === 0,
    hasAptGet: onPath('apt-get'),
    hasPackageLists: hasPackageLists(),
    platform: process.platform,
  });
  if (plan.kind === 'present') return 0;
  if (plan.kind === 'refuse') {
    process.stderr.write(`${plan.message}\n`);
    return 1;
  }
  process.stdout.write(`Installing the Debian packages the tests need: ${plan.pkgs.join(' ')}\n`);
  const ok = runAptCommands(plan.commands) || (plan.retry !== null && runAptCommands(plan.retry));
  const still = missingRequirements();
  if (!ok || still.length > 0) {
    process.stderr.write(`${plan.failed}\n`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
