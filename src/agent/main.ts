import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { agentPaths } from './agent-paths.js';
import { runBridge } from './bridge.js';

const USAGE = 'usage: agent.js --home DIR\n       agent.js bridge --home DIR [--no-start]\n';

/**
 * Entry of the agent bundle. `node agent.js --home DIR` runs the agent until told to shut down or signalled;
 * `node agent.js bridge --home DIR` joins stdin/stdout to that agent's socket (what an SSH exec runs).
 */
async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { home: { type: 'string' }, 'no-start': { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const mode = positionals[0] ?? 'agent';
  if (!values.home || positionals.length > 1 || (mode !== 'agent' && mode !== 'bridge')) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  if (mode === 'bridge') {
    const agentEntry = process.argv[1] ?? fileURLToPath(import.meta.url);
    process.exit(await runBridge({ home: values.home, agentEntry, start: !values['no-start'] }));
  }
  await runAgent(values.home);
}

async function runAgent(home: string): Promise<void> {
  // Loaded here, not at the top: a bridge (one per SSH command of the control plane) only pipes a socket and
  // starts faster without evaluating the agent, its router and their dependencies.
  const { Agent } = await import('./agent.js');
  const paths = agentPaths(home);
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  const log = (line: string): void => appendFileSync(paths.agentLog, `${new Date().toISOString()} ${line}\n`);
  const agent = await Agent.start({ home: paths.home, log });
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
