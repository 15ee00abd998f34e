import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { LocalHost } from '../hosts/local-host.js';
import { stopTargetsLeftInState, type LeftTargetReport } from '../agent/stop-left-targets.js';
import { resolveStateDir } from '../control-plane/open-project.js';
import type { GlobalOptions } from './project.js';
import { yellow } from './progress-renderer.js';

async function localHostOf(globals: GlobalOptions): Promise<LocalHost> {
  const { dir } = await loadConfig(globals.config);
  return new LocalHost(join(resolveStateDir(globals, dir), 'agent'));
}

export function registerAgent(program: Command, globals: () => GlobalOptions): void {
  const agent = program
    .command('agent')
    .description('the local agent that supervises targets, its router process and their keeper');
  agent
    .command('status')
    .description('is the local agent running, and what does it supervise')
    .action(async () => {
      const host = await localHostOf(globals());
      if (!(await host.isAgentRunning())) {
        process.stdout.write('agent: not running\n');
        return;
      }
      const client = await host.agent();
      const state = await client.call('state', {});
      const routes = state.routerPid
        ? `router process pid ${state.routerPid}`
        : 'routes served by the agent itself';
      const keeper = state.supervisor ? `restarted by ${state.supervisor}` : 'nothing restarts it';
      process.stdout.write(
        `agent ${state.agentVersion}: running, pid ${state.pid}, ${state.targets.length} target(s), ${state.routes.length} route(s); ${routes}; ${keeper}\n`,
      );
      await host.close();
    });
  agent
    .command('start')
    .description(
      'start the local agent (and its router process and keeper): it adopts the targets a stopped agent left',
    )
    .action(async () => {
      const host = await localHostOf(globals());
      const running = await host.isAgentRunning();
      const state = await (await host.agent()).call('state', {});
      await host.close();
      const targets = `${state.targets.length} target(s), ${state.routes.length} route(s)`;
      process.stdout.write(
        running
          ? `agent ${state.agentVersion} was already running, pid ${state.pid}: ${targets}\n`
          : `agent ${state.agentVersion} started, pid ${state.pid}: ${targets}\n`,
      );
    });
  agent
    .command('stop')
    .description(
      'stop the local agent (targets keep running and are adopted by the next agent, unless --stop-targets)',
    )
    .option('--stop-targets', 'also stop every target (nothing is served afterwards)')
    .action(async (opts: { stopTargets?: boolean }) => {
      const host = await localHostOf(globals());
      const stopped = await host.stopAgent({ stopTargets: Boolean(opts.stopTargets) });
      if (stopped) {
        process.stdout.write(`agent stopped${opts.stopTargets ? ' with its targets' : ''}\n`);
        return;
      }
      process.stdout.write('agent was not running\n');
      // A dead agent stops nothing itself: its targets run on; take them from its state file.
      if (opts.stopTargets && host.hasState()) printLeftTargets(await stopTargetsLeftInState(host.paths));
    });
}

function printLeftTargets(reports: readonly LeftTargetReport[]): void {
  for (const r of reports) {
    switch (r.kind) {
      case 'stopped':
        process.stdout.write(`stopped target ${r.id} (${r.release}, ${r.how}) that it left running\n`);
        break;
      case 'gone':
        if (r.note) process.stdout.write(`target ${r.id} (${r.release}) was no longer running: ${r.note}\n`);
        break;
      case 'left-alone':
        process.stdout.write(yellow(`left target ${r.id} (${r.release}) alone: ${r.why}\n`));
        break;
    }
  }
}
