import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Agent, agentPaths } from './agent.js';

/** Entry of the agent bundle: `node agent.js --home DIR`. Runs until told to shut down or signalled. */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { home: { type: 'string' } } });
  if (!values.home) {
    process.stderr.write('usage: agent.js --home DIR\n');
    process.exit(2);
  }
  const paths = agentPaths(values.home);
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
