import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { parseDocument } from 'yaml';
import { observeHosts } from '../executor/observe-hosts.js';
import { hostsOf, runDeployment } from '../executor/run-deployment.js';
import { ConflictError, InputError, SlipwayError } from '../core/errors.js';
import { DEFAULTS } from '../config/defaults.js';
import { LocalHost } from '../hosts/local-host.js';
import { AgentNotRunningError } from '../hosts/ssh-errors.js';
import { createRelease } from '../release/create-release.js';
import { runWithProgress } from './deploy.js';
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

/** `--port`, else SLIPWAY_DEMO_PORT, else null (the example's port); anything but a port is bad input. */
export function parseDemoPort(option: string | undefined, env: string | undefined): number | null {
  const [text, source] = option !== undefined ? [option, '--port'] : [env || undefined, DEMO_PORT_ENV];
  if (text === undefined) return null;
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new InputError(`${source} "${text}" is not a port`, { hint: 'e.g. slipway demo --port 8421' });
  return port;
}

/** How to run the demo elsewhere, for the message that names a busy port. */
export function describeOtherDemoPort(busy: number): string {
  const other = busy === 65535 ? busy - 1 : busy + 1;
  return `run the demo on another port: slipway demo --port ${other} (npm start -- --port ${other}, or set ${DEMO_PORT_ENV}=${other})`;
}

interface DemoProject {
  /** The project directory: the example itself, or its copy for another port. */
  dir: string;
  app: string;
  port: number;
  bindAddress: string;
  /** Writes the copy (the example's files, that port in its slipway.yml); nothing for the example itself. */
  write(): void;
}

/**
 * The example as the demo runs it on `port`: the example itself on its own port (8420); on another, a copy of it
 * in `.slipway/port-<port>` with that port in its slipway.yml, so that the commands the demo suggests next (which
 * read that file) serve the same port. Each copy is a project of its own (store, agent), refreshed on every run.
 */
function planDemoProject(example: string, port: number | null): DemoProject {
  const doc = parseDocument(readFileSync(join(example, 'slipway.yml'), 'utf8'));
  const own = Number(doc.getIn(['environments', 'production', 'publicPort']));
  const bind = doc.getIn(['environments', 'production', 'bindAddress']);
  const bindAddress = typeof bind === 'string' ? bind : '127.0.0.1';
  const name = doc.get('app');
  const app = typeof name === 'string' ? name : 'hello';
  if (port === null || port === own)
    return { dir: example, app, port: own, bindAddress, write: () => undefined };
  const copy = join(example, DEFAULTS.stateDir, `port-${port}`);
  const write = (): void => {
    mkdirSync(copy, { recursive: true });
    for (const entry of readdirSync(example)) {
      if (entry !== DEFAULTS.stateDir) cpSync(join(example, entry), join(copy, entry), { recursive: true });
    }
    doc.setIn(['environments', 'production', 'publicPort'], port);
    writeFileSync(join(copy, 'slipway.yml'), String(doc));
  };
  return { dir: copy, app, port, bindAddress, write };
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
      'the main job on the embedded default: deploy examples/hello 1.0.0 to production on this machine',
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
      await withProject({ config: configFile }, async (project) => {
        process.stdout.write(
          bold(
            `Slipway demo: ${project.config.app} from ${relative(process.cwd(), dir) || '.'}, store ${project.storeWhere.startsWith('/') ? relative(process.cwd(), project.storeWhere) : project.storeWhere}\n`,
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
          const state = relative(process.cwd(), project.stateDir);
          throw new ConflictError(
            `${err.message}. The demo's state in ${state} comes from another version of the example`,
            {
              hint: `start the demo over: bin/slipway.js -c ${relative(process.cwd(), configFile)} agent stop --stop-targets && rm -rf ${state}`,
            },
          );
        });
        process.stdout.write(
          `${created ? green('✔ created') : 'using existing'} release ${release.version} (${release.sha256.slice(0, 12)})\n`,
        );
        const observed = await observeHosts(hostsOf(project, 'production'), project.config.app);
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
        const cli = `${relative(process.cwd(), join(example, '..', '..', 'bin', 'slipway.js')) || 'bin/slipway.js'} -c ${relative(process.cwd(), configFile)}`;
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
            `  ${cli} logs production                    ${dim("# the targets' output")}`,
            `  ${cli} agent stop --stop-targets          ${dim('# stop everything the demo started')}`,
            '',
          ].join('\n'),
        );
      });
    });
}
