import { hostsOf } from '../hosts/hosts-of.js';
import { readLogs } from '../operations/read-logs.js';
import { readJobLogs } from '../operations/read-job-logs.js';
import type { Project } from '../control-plane/open-project.js';
import { withProject, type GlobalOptions } from './project.js';
import { AgentNotRunningError } from '../hosts/ssh-errors.js';
import { dim, red, yellow } from './progress-renderer.js';
import type { WorkerIdentity } from '../agent/protocol.js';
import { UnknownNameError } from '../core/errors.js';

/** `slipway logs <env>` on this machine's project (declared with its options in shared-verbs.ts). */
export const logsHere =
  (globals: () => GlobalOptions) =>
  async (
    env: string,
    opts: { follow?: boolean; lines: number; target?: string; process?: string; job?: string },
  ): Promise<void> => {
    await withProject(globals(), async (project) => {
      if (opts.job !== undefined) return printJobLogs(project, env, { job: opts.job, lines: opts.lines });
      // Only this environment's hosts: another environment of the app runs its own targets elsewhere.
      const hosts = hostsOf(project, env);
      // With several hosts, each line says which host it comes from (target ids repeat across hosts).
      // An app with worker processes: each line also says which process it is from (web, or worker 1).
      const processes = Object.keys(project.config.processes);
      if (opts.process !== undefined && opts.process !== 'web' && !processes.includes(opts.process))
        throw new UnknownNameError(`--process ${opts.process} is not a process of ${project.config.app}`, {
          hint: `name one of: ${['web', ...processes].join(', ')}`,
        });
      const label = (e: { process?: WorkerIdentity }): string =>
        processes.length === 0 ? '' : `${e.process ? `${e.process.name} ${e.process.instance}` : 'web'} `;
      const print = (
        host: string,
        e: { targetId: string; stream: 'out' | 'err'; line: string; process?: WorkerIdentity },
      ): void => {
        const prefix = dim(`${hosts.length > 1 ? `${host} ` : ''}${label(e)}${e.targetId} │`);
        process.stdout.write(`${prefix} ${e.stream === 'err' ? red(e.line) : e.line}\n`);
      };
      const lines = opts.lines;
      const request = {
        app: project.config.app,
        lines,
        ...(opts.target ? { targetId: opts.target } : {}),
        ...(opts.process ? { process: opts.process } : {}),
      };
      // Logs only read: a stopped agent stays stopped, and that is said (it is why there are no lines).
      const notRunning = (host: string): void => {
        process.stderr.write(
          yellow(
            `agent not running on ${host}: no logs from there; ${host === 'local' ? '"slipway agent start" starts it' : `"slipway deploy ${env}" starts it`}\n`,
          ),
        );
      };
      if (!opts.follow) {
        const stopped: string[] = [];
        const read = await readLogs(
          hosts,
          request,
          (e) => print(e.host, e),
          (host) => {
            stopped.push(host);
            notRunning(host);
          },
        );
        // Silence would look like a hang or a bug: say that nothing was there, and where to look.
        if (read.length === 0 && stopped.length < hosts.length) {
          const which = opts.target ? `target ${opts.target}` : `the targets of ${project.config.app}`;
          process.stderr.write(
            dim(`no output from ${which} in ${env}; "slipway status ${env}" shows what runs there\n`),
          );
        }
        return;
      }
      // Every host at once, until Ctrl-C (or until every host's stream ends).
      const agents = await Promise.all(
        hosts.map((host) =>
          host.agent({ start: false }).catch((err: unknown) => {
            if (!(err instanceof AgentNotRunningError)) throw err;
            notRunning(host.name);
            return null;
          }),
        ),
      );
      const streams = agents.flatMap((agent, i) =>
        agent
          ? [
              agent
                .stream('logs', { ...request, follow: true }, (e) => print(hosts[i]?.name ?? '', e))
                .catch(() => undefined),
            ]
          : [],
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => {
          for (const agent of agents) agent?.close();
          resolve();
        });
        void Promise.all(streams).then(() => resolve());
      });
    });
  };

/** `slipway logs <env> --job NAME`: the job's last lines from the host(s) that ran it. */
async function printJobLogs(
  project: Project,
  env: string,
  request: { job: string; lines: number },
): Promise<void> {
  const found = await readJobLogs(project, env, request, (host) =>
    process.stderr.write(yellow(`agent not running on ${host}: no job output from there\n`)),
  );
  for (const { host, lines } of found) {
    for (const line of lines) process.stdout.write(`${found.length > 1 ? dim(`${host} │ `) : ''}${line}\n`);
  }
  if (found.length === 0) {
    process.stderr.write(
      dim(
        `no output from job ${request.job} in ${env} yet ("slipway plan ${env}" shows which host runs it)\n`,
      ),
    );
  }
}
