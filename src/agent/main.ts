import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { agentPaths } from './agent-paths.js';
import { fileLogger } from './process-util.js';
import { runBridge } from './bridge.js';

const USAGE =
  'usage: agent.js --home DIR\n       agent.js keeper --home DIR\n       agent.js router --home DIR\n' +
  '       agent.js bridge --home DIR [--no-start]\n';
const MODES = ['agent', 'keeper', 'router', 'bridge'];

/**
 * Entry of the agent bundle. `node agent.js keeper --home DIR` runs the keeper, which runs (and restarts) the
 * router process (`agent.js router`) and the agent (`agent.js --home DIR`); `node agent.js bridge --home DIR`
 * joins stdin/stdout to the agent's socket (what an SSH exec runs), starting the keeper when nothing answers.
 */
async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { home: { type: 'string' }, 'no-start': { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const mode = positionals[0] ?? 'agent';
  if (!values.home || positionals.length > 1 || !MODES.includes(mode)) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  if (mode === 'bridge') {
    const agentEntry = process.argv[1] ?? fileURLToPath(import.meta.url);
    process.exit(await runBridge({ home: values.home, agentEntry, start: !values['no-start'] }));
  }
  const entry = process.argv[1] ?? fileURLToPath(import.meta.url);
  if (mode === 'keeper') {
    const { runKeeper } = await import('./keeper.js');
    await runKeeper(values.home, entry);
  } else if (mode === 'router') {
    const { runRouterDaemon } = await import('./routes/router-daemon.js');
    await runRouterDaemon(values.home);
  } else {
    await runAgent(values.home);
  }
}

async function runAgent(home: string): Promise<void> {
  // Loaded here, not at the top: a bridge (one per SSH command of the control plane) only pipes a socket and
  // starts faster without evaluating the agent, its router and their dependencies.
  const { Agent } = await import('./agent.js');
  const { SUPERVISOR_ENV } = await import('./keeper.js');
  const { connectRouterPort } = await import('./routes/router-client.js');
  const paths = agentPaths(home);
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  const log = fileLogger(paths.agentLog);
  // Under the keeper the routes live in the router process; run alone (an old systemd unit until `setup` runs
  // again), the agent serves them itself as it always did.
  const supervisor = process.env[SUPERVISOR_ENV] ?? null;
  const routes = supervisor === null ? null : connectRouterPort(paths.routerSocket);
  const agent = await Agent.start({ home: paths.home, log, routes, supervisor });
  writeFileSync(paths.pidFile, `${process.pid}\n`);
  // SIGTERM stops the agent but leaves targets running: the next agent adopts them.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void agent.stop({ stopTargets: false }).finally(() => process.exit(0));
    });
  }
  process.on('uncaughtException', (err) => log(`uncaught: ${err.stack ?? String(err)}`));
  process.on('unhandledRejection', (err) => log(`unhandled rejection: ${String(err)}`));
}

main().catch((err: unknown) => {
  process.stderr.write(
    `slipway agent failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
