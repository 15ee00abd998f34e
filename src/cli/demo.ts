import { environmentRoute } from '../config/environment-config.js';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { parseDocument } from 'yaml';
import { observeHosts } from '../hosts/observe-hosts.js';
import { hostsOf } from '../hosts/hosts-of.js';
import { runDeployment } from '../executor/run-deployment.js';
import { ConflictError, SlipwayError } from '../core/errors.js';
import { DEFAULTS } from '../config/defaults.js';
import { LocalHost } from '../hosts/local-host.js';
import { AgentNotRunningError } from '../hosts/ssh-errors.js';
import { createRelease } from '../release/create-release.js';
import { runWithProgress } from './run-with-progress.js';
import { parseIntegerOption } from './parse-options.js';
import { withProject } from './project.js';
import { bold, dim, green } from './progress-renderer.js';

const DEMO_VERSION = '1.0.0';
/** The demo's port when `--port` is not given (without either: the example's own, 8420). */
export const DEMO_PORT_ENV = 'SLIPWAY_DEMO_PORT';

/** examples/hello of this package, found from the CLI's own location. */
function exampleDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'examples', 'hello');
    if (existsSync(join(candidate, 'slipway.yml'))) return candidate;
    dir = dirname(dir);
  }
  return join(process.cwd(), 'examples', 'hello');
}

/**
 * Where the demo keeps its project (a copy of the example) with its store, artifacts and agent: a place of the
 * user's own, never the package's directory (root's and read-only once installed with `npm install -g`):
 * $XDG_STATE_HOME/slipway/demo, by default ~/.local/state/slipway/demo. On another port than the example's
 * own, a project of its own beside it: demo-port-<port>. Pure.
 */
export function demoProjectDir(
  port: number | null,
  env: Readonly<Record<string, string | undefined>>,
  home: string,
): string {
  const xdg = env['XDG_STATE_HOME'];
  // The XDG spec: a relative path in the variable is to be ignored.
  const stateHome = xdg && isAbsolute(xdg) ? xdg : join(home, '.local', 'state');
  return join(stateHome, 'slipway', port === null ? 'demo' : `demo-port-${port}`);
}

/** A path as an operator would type it: under the home directory with `~`, else absolute. Pure. */
export function describeDemoPath(path: string, home: string): string {
  return path === home || path.startsWith(`${home}${sep}`) ? `~${path.slice(home.length)}` : path;
}

/** `--port`, else SLIPWAY_DEMO_PORT, else null (the example's port); anything but a port is bad input. */
export function parseDemoPort(option: string | undefined, env: string | undefined): number | null {
  const [text, source] = option !== undefined ? [option, '--port'] : [env || undefined, DEMO_PORT_ENV];
  if (text === undefined) return null;
  return parseIntegerOption(source, text, {
    what: 'a port',
    min: 1,
    max: 65535,
    example: 'slipway demo --port 8421',
  });
}

/** How to run the demo elsewhere, for the message that names a busy port. */
export function describeOtherDemoPort(busy: number): string {
  const other = busy === 65535 ? busy - 1 : busy + 1;
  return `run the demo on another port: slipway demo --port ${other} (npm start -- --port ${other}, or set ${DEMO_PORT_ENV}=${other})`;
}

interface DemoProject {
  /** The project directory: the demo's copy of the example. */
  dir: string;
  app: string;
  port: number;
  bindAddress: string;
  /** Writes the copy (the example's files, the port in its slipway.yml), refreshed on every run. */
  write(): void;
}

/**
 * The example as the demo runs it on `port` (null: the example's own, 8420): a copy of it in the demo's directory
 * (demoProjectDir) with that port in its slipway.yml, so that the commands the demo suggests next (which read that
 * file) serve the same port. Each port's copy is a project of its own (store, agent).
 */
function planDemoProject(example: string, port: number | null): DemoProject {
  const doc = parseDocument(readFileSync(join(example, 'slipway.yml'), 'utf8'));
  const own = Number(doc.getIn(['environments', 'production', 'publicPort']));
  const bind = doc.getIn(['environments', 'production', 'bindAddress']);
  const bindAddress = typeof bind === 'string' ? bind : '127.0.0.1';
  const name = doc.get('app');
  const app = typeof name === 'string' ? name : 'hello';
  const other = port !== null && port !== own ? port : null;
  const dir = demoProjectDir(other, process.env, homedir());
  const write = (): void => {
    copyExample(example, dir);
    if (other !== null) {
      doc.setIn(['environments', 'production', 'publicPort'], other);
      writeFileSync(join(dir, 'slipway.yml'), String(doc));
    }
  };
  return { dir, app, port: other ?? own, bindAddress, write };
}

/**
 * The example's files (not its state) into the demo's project, writable by the user whatever their modes in the
 * package (read-only in a global install): the copy is the user's, refreshed on every run.
 */
function copyExample(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.name === DEFAULTS.stateDir) continue;
    const source = join(from, entry.name);
    if (entry.isDirectory()) copyExample(source, join(to, entry.name));
    else if (entry.isFile())
      writeFileSync(join(to, entry.name), readFileSync(source), {
        mode: (statSync(source).mode & 0o777) | 0o600,
      });
  }
}

/** How to run this CLI again, as the user ran it: `slipway` from the PATH, else the package's bin/slipway.js. */
function describeCli(example: string): string {
  const invoked = process.argv[1];
  if (invoked !== undefined && basename(invoked) === 'slipway')
    return process.env['npm_command'] === 'exec' ? 'npx slipway' : 'slipway';
  const bin = join(example, '..', '..', 'bin', 'slipway.js');
  const rel = relative(process.cwd(), bin);
  return rel.startsWith('..') ? bin : rel || 'bin/slipway.js';
}

/**
 * Refuses a port something else listens on before anything is written, built or started, naming the way to
 * another one. The demo's own router (a second run) is not in the way.
 */
async function refuseBusyPort(demo: DemoProject): Promise<void> {
  if (!(await isPortInUse(demo.bindAddress, demo.port)) || (await demoServes(demo))) return;
  throw new SlipwayError(`port ${demo.port} on ${demo.bindAddress} is already in use`, {
    hint: describeOtherDemoPort(demo.port),
  });
}

/** Does the demo's own agent (if one runs) have a route on the demo's port? */
async function demoServes(demo: DemoProject): Promise<boolean> {
  if (!existsSync(join(demo.dir, DEFAULTS.stateDir))) return false;
  const local = new LocalHost(join(demo.dir, DEFAULTS.stateDir, 'agent'));
  try {
    const state = await (await local.agent({ start: false })).call('state', {});
    return state.routes.some((r) => r.app === demo.app && r.publicPort === demo.port);
  } catch (err) {
    if (err instanceof AgentNotRunningError) return false;
    throw err;
  } finally {
    await local.close();
  }
}

function isPortInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'the main job on the embedded default: deploy examples/hello 1.0.0 to production on this machine (a copy in ~/.local/state/slipway/demo)',
    )
    .option(
      '-p, --port <port>',
      `serve the demo on this port (default: ${DEMO_PORT_ENV}, else the example's 8420)`,
    )
    .action(async (opts: { port?: string }) => {
      const example = exampleDir();
      const demo = planDemoProject(example, parseDemoPort(opts.port, process.env[DEMO_PORT_ENV]));
      await refuseBusyPort(demo);
      demo.write();
      const { dir, port, bindAddress } = demo;
      const configFile = join(dir, 'slipway.yml');
      const home = homedir();
      const shown = (path: string): string => (isAbsolute(path) ? describeDemoPath(path, home) : path);
      const cli = `${describeCli(example)} -c ${shown(configFile)}`;
      await withProject({ config: configFile }, async (project) => {
        process.stdout.write(
          bold(
            `Slipway demo: ${project.config.app} (a copy of examples/hello) in ${shown(dir)}, store ${shown(project.storeWhere)}\n`,
          ),
        );
        const { release, created } = await createRelease({
          config: project.config,
          projectDir: dir,
          stateDir: project.stateDir,
          version: DEMO_VERSION,
          store: project.store,
          clock: project.clock,
          actor: project.actor,
          onBuildOutput: (line) => process.stdout.write(dim(`  build │ ${line}\n`)),
        }).catch((err: unknown) => {
          // The demo's store outlives a checkout: after an update of the example, its 1.0.0 is another artifact.
          if (!(err instanceof ConflictError)) throw err;
          const state = shown(project.stateDir);
          throw new ConflictError(
            `${err.message}. The demo's state in ${state} comes from another version of the example`,
            { hint: `start the demo over: ${cli} agent stop --stop-targets && rm -rf ${state}` },
          );
        });
        process.stdout.write(
          `${created ? green('✔ created') : 'using existing'} release ${release.version} (${release.sha256.slice(0, 12)})\n`,
        );
        const observed = await observeHosts(hostsOf(project, 'production'), project.config.app, {
          route: environmentRoute(project.config, 'production'),
        });
        const live = observed[0]?.active?.release;
        if (live) {
          process.stdout.write(`production already serves ${live}; nothing to deploy\n`);
        } else {
          await runWithProgress(project, 'deploy', (o) =>
            runDeployment(
              project,
              { environment: 'production', kind: 'deploy', version: DEMO_VERSION, reason: 'demo' },
              o,
            ),
          ).catch((err: unknown) => {
            // Taken between the check above and the router's listen: the same way out.
            if (err instanceof SlipwayError && err.message.includes(`port ${port} on `))
              throw new SlipwayError(err.message.split('\nhint: ')[0] ?? err.message, {
                hint: describeOtherDemoPort(port),
              });
            throw err;
          });
        }
        process.stdout.write(
          [
            '',
            bold(`Served at http://${bindAddress}:${port}/`),
            `  curl http://127.0.0.1:${port}/`,
            '',
            'Next, try:',
            `  ${cli} release create --version 2.0.0     ${dim('# build and store v2')}`,
            `  ${cli} plan production --release 2.0.0    ${dim('# what a deploy would do')}`,
            `  ${cli} deploy production --release 2.0.0  ${dim('# blue/green, zero downtime')}`,
            `  ${cli} rollback production                ${dim('# back to 1.0.0: a switch while it is warm')}`,
            `  ${cli} status                             ${dim('# what serves now')}`,
            `  ${cli} history                            ${dim('# the ledger')}`,
            `  ${cli} logs production                    ${dim("# the web and worker processes' output")}`,
            `  ${cli} logs production --job report       ${dim('# the scheduled job, once per 30 s')}`,
            `  ${cli} agent stop --stop-targets          ${dim('# stop everything the demo started')}`,
            `  rm -rf ${shown(dir)}${dim('  # then remove its files')}`,
            '',
          ].join('\n'),
        );
      });
    });
}
