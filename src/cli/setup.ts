import type { Command } from 'commander';
import { SlipwayError } from '../core/errors.js';
import { hostsOf } from '../hosts/hosts-of.js';
import { resolveAgentEntry } from '../hosts/local-host.js';
import { setupHost } from '../hosts/setup-host.js';
import { SshHost } from '../hosts/ssh-host.js';
import { AGENT_VERSION } from '../agent/version.js';
import type { Project } from '../control-plane/open-project.js';
import { withProject, type GlobalOptions } from './project.js';
import { hostName } from '../config/config-values.js';
import { parseDurationMs } from '../core/duration.js';
import { bold, dim, green, red } from './progress-renderer.js';

export function registerSetup(program: Command, globals: () => GlobalOptions): void {
  program
    .command('setup')
    .description(
      'prepare every host of an environment: upload the agent and node, start the agent (idempotent)',
    )
    .argument('<env>', 'environment name')
    .option(
      '--trust-new-hosts',
      'record the host keys of hosts contacted for the first time (check their fingerprints!)',
    )
    .action(async (env: string, opts: { trustNewHosts?: boolean }) => {
      await withProject({ ...globals(), trustNewHosts: Boolean(opts.trustNewHosts) }, async (project) => {
        const hosts = hostsOf(project, env);
        const edge = project.config.environments[env]?.edge?.host;
        const edgeHost = edge && edge !== 'local' ? project.hosts.get(edge.name) : undefined;
        const ssh = [...new Set([...hosts, ...(edgeHost ? [edgeHost] : [])])].filter(
          (h): h is SshHost => h instanceof SshHost,
        );
        if (ssh.length === 0) {
          process.stdout.write(
            `${env} has only the local host: nothing to set up (the local agent starts on first use)\n`,
          );
          return;
        }
        const edgeDrain = drainThroughEdge(project, env);
        const started = Date.now();
        const results = await Promise.allSettled(
          ssh.map((host) =>
            setupHost(host, {
              ...(edgeDrain ? { aroundRestart: edgeDrain(host.name) } : {}),
              agentBundle: resolveAgentEntry(),
              nodeBinary: process.execPath,
              agentVersion: AGENT_VERSION,
            }),
          ),
        );
        let failed = 0;
        results.forEach((result, i) => {
          const name = ssh[i]?.name ?? '?';
          if (result.status === 'rejected') {
            failed++;
            const reason: unknown = result.reason;
            process.stdout.write(
              `${red('✖')} ${bold(name)}  ${reason instanceof Error ? reason.message : String(reason)}\n`,
            );
            return;
          }
          const r = result.value;
          const files = r.files.map((f) => `${f.file} ${f.action}`).join(', ');
          process.stdout.write(
            `${green('✔')} ${bold(name)}  agent ${r.agentVersion} ${r.agent} (${r.service}, pid ${r.agentPid}), node ${r.nodeVersion}; ${files}${r.notes.length ? dim(`  ${r.notes.join('; ')}`) : ''}\n`,
          );
        });
        process.stdout.write(
          dim(
            `${ssh.length - failed} of ${ssh.length} hosts ready in ${((Date.now() - started) / 1000).toFixed(1)}s\n`,
          ),
        );
        if (failed > 0) throw new SlipwayError(`setup failed on ${failed} host${failed === 1 ? '' : 's'}`);
      });
    });
}

/**
 * With an edge, a host whose agent must restart is taken out of the edge first (one host at a time, so the
 * others keep serving) and put back after: users never reach a router that is down for the restart.
 */
function drainThroughEdge(
  project: Project,
  env: string,
): ((member: string) => { before(): Promise<void>; after(): Promise<void> }) | null {
  const config = project.config.environments[env];
  if (!config?.edge) return null;
  const edgeHost = project.hosts.get(hostName(config.edge.host));
  if (!edgeHost) return null;
  const drainTimeoutMs = parseDurationMs(config.strategy.drainTimeout) ?? 30_000;
  let queue: Promise<void> = Promise.resolve();
  return (member) => {
    let release: () => void = () => {};
    let drained = false;
    return {
      async before() {
        const previous = queue;
        queue = new Promise<void>((resolve) => (release = resolve));
        await previous;
        try {
          const agent = await edgeHost.agent();
          await agent.call('setEdgeMember', {
            app: project.config.app,
            id: member,
            enabled: false,
            drainTimeoutMs,
          });
          drained = true;
        } catch {
          drained = false; // no edge yet (first setup): nothing to drain
        }
      },
      async after() {
        try {
          if (drained) {
            const agent = await edgeHost.agent();
            await agent.call('setEdgeMember', {
              app: project.config.app,
              id: member,
              enabled: true,
              drainTimeoutMs,
            });
          }
        } finally {
          release();
        }
      },
    };
  };
}
