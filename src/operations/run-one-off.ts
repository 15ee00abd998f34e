import { environmentConfig, environmentRoute } from '../config/environment-config.js';
import { InputError, SlipwayError, UnknownNameError } from '../core/errors.js';
import { formatDurationMs } from '../core/duration.js';
import type { Project } from '../control-plane/open-project.js';
import { loadRequiredSecrets, requireRelease } from '../executor/prepare-plan.js';
import { hostsOf } from '../hosts/hosts-of.js';
import { observeHosts } from '../hosts/observe-hosts.js';
import { deriveReleaseRuntime } from '../release/release-snapshot.js';

export const COMMAND_RAN = 'command.ran';

export interface OneOffRequest {
  environment: string;
  /** A host of the environment; absent: the first that serves. */
  host?: string;
  argv: string[];
  timeoutMs: number;
}

export interface OneOffResult {
  host: string;
  release: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
}

/**
 * `slipway run <env> -- <command…>`: runs a command once on a host of the environment, in the directory of the
 * release that serves there, with that release's environment and secrets (as its targets get them), streaming what
 * it prints (`onLine`, secrets redacted by the agent), and ledgers who ran what where and how it ended (`command.ran`;
 * the argv, never a secret value). Processes only; a container release is refused.
 */
export async function runOneOff(
  project: Project,
  request: OneOffRequest,
  onLine: (stream: 'out' | 'err', line: string) => void,
): Promise<OneOffResult> {
  const { environment } = request;
  const env = environmentConfig(project.config, environment);
  if (request.argv.length === 0 || request.argv[0] === '') {
    throw new InputError('no command to run', { hint: `slipway run ${environment} -- <command> [args…]` });
  }
  if (project.config.runtime.kind === 'docker') {
    throw new InputError('slipway run does not run commands in containers yet (runtime: docker)', {
      hint: 'docs/processes.md says what is built',
    });
  }
  const hosts = hostsOf(project, environment);
  const candidates = request.host === undefined ? hosts : hosts.filter((h) => h.name === request.host);
  if (candidates.length === 0) {
    throw new UnknownNameError(`${request.host ?? ''} is not a host of ${environment}`, {
      hint: `its hosts: ${hosts.map((h) => h.name).join(', ')}`,
    });
  }
  const route = environmentRoute(project.config, environment);
  const observed = await observeHosts(candidates, project.config.app, { route });
  const serving = observed.find((o) => o.active !== null);
  const host = serving && hosts.find((h) => h.name === serving.host);
  if (!serving?.active || !host) {
    throw new SlipwayError(
      `nothing serves ${environment} on ${candidates.map((h) => h.name).join(', ')}: there is no release to run in`,
      { hint: `deploy first ("slipway deploy ${environment}")` },
    );
  }
  const release = serving.active.release;
  const runtime = deriveReleaseRuntime(await requireRelease(project, release), environment);
  const secrets = await loadRequiredSecrets(project, environment, runtime.secretNames, 'nothing was run');
  const secretEnv = Object.fromEntries([...secrets].map(([name, secret]) => [name, secret.reveal()]));
  const agent = await host.agent();
  const result = await agent.stream(
    'runOnce',
    {
      app: project.config.app,
      release,
      environment,
      argv: request.argv,
      env: runtime.env,
      secretEnv,
      timeoutMs: request.timeoutMs,
    },
    (event) => onLine(event.stream, event.line),
  );
  const ended = describeRunEnd(result, request.timeoutMs);
  await project.store.appendEvent({
    atMs: project.clock.nowMs(),
    actor: project.actor,
    app: project.config.app,
    environment,
    release,
    kind: COMMAND_RAN,
    message: `ran ${JSON.stringify(request.argv.join(' '))} on ${host.name} in ${release}: ${ended} (took ${formatDurationMs(result.durationMs)})`,
    data: {
      argv: request.argv,
      host: host.name,
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      durationMs: result.durationMs,
      hosts: env.hosts.length,
    },
  });
  return { host: host.name, release, ...result };
}

/** How a one-off command ended, in words: `exit 3`, `stopped after 1h (its timeout)`, `killed by SIGTERM`. Pure. */
export function describeRunEnd(
  result: Pick<OneOffResult, 'exitCode' | 'signal' | 'timedOut'>,
  timeoutMs: number,
): string {
  if (result.timedOut) return `stopped after ${formatDurationMs(timeoutMs)} (its timeout)`;
  return result.exitCode !== null ? `exit ${result.exitCode}` : `killed by ${result.signal ?? 'a signal'}`;
}
