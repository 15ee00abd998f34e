import { environmentConfig, environmentRoute } from '../config/environment-config.js';
import { InputError, SlipwayError, UnknownNameError } from '../core/errors.js';
import { formatDurationMs } from '../core/duration.js';
import type { Project } from '../control-plane/open-project.js';
import { loadRequiredSecrets, requireRelease } from '../executor/prepare-plan.js';
import { hostsOf } from '../hosts/hosts-of.js';
import { observeHosts } from '../hosts/observe-hosts.js';
import { deriveReleaseRuntime } from '../release/release-snapshot.js';
import { deriveContainerSpec } from '../plan/plan-parts.js';
import type { ContainerSpec } from '../agent/protocol.js';
import { deriveInteractiveLaunch } from '../runtime/interactive-launch.js';

export const COMMAND_RAN = 'command.ran';

export interface OneOffRequest {
  environment: string;
  /**
   * Where to run: a host of the environment by name, or `any` (the first in the config's order that answers and
   * serves). Absent: the environment's only host; an environment of several hosts must say which.
   */
  host?: string | { any: true };
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
 * the argv, never a secret value). A container release runs it in a new container of the release image.
 */
export async function runOneOff(
  project: Project,
  request: OneOffRequest,
  onLine: (stream: 'out' | 'err', line: string) => void,
): Promise<OneOffResult> {
  const run = await prepareRun(project, request);
  const agent = await run.host.agent();
  const result = await agent.stream(
    'runOnce',
    {
      app: project.config.app,
      release: run.release,
      environment: request.environment,
      argv: request.argv,
      env: run.env,
      secretEnv: run.secretEnv,
      timeoutMs: request.timeoutMs,
      ...(run.container ? { container: run.container } : {}),
    },
    (event) => onLine(event.stream, event.line),
  );
  await ledgerRun(project, request, run, { ...result, interactive: false });
  return { host: run.host.name, release: run.release, ...result };
}

/**
 * `slipway run -i/-t`: the same command on the same host and release, with the user's terminal attached instead of
 * streamed lines (`Host.runInteractive`; `tty` gives it a terminal on the host). Its output goes straight to the
 * terminal, so nothing is redacted; there is no timeout. Ledgered like any run, marked interactive.
 */
export async function runInteractively(
  project: Project,
  request: Omit<OneOffRequest, 'timeoutMs'> & { tty: boolean },
): Promise<OneOffResult> {
  const run = await prepareRun(project, request);
  const launch = deriveInteractiveLaunch({
    app: project.config.app,
    release: run.release,
    argv: request.argv,
    env: { ...run.env, ...run.secretEnv, ...runVariables(project, run.release, request.environment) },
    tty: request.tty,
    ...(run.container ? { container: run.container } : {}),
  });
  const started = performance.now();
  const ended = await run.host.runInteractive(launch);
  const result = {
    exitCode: ended.code,
    signal: ended.signal,
    timedOut: false,
    durationMs: Math.round(performance.now() - started),
  };
  await ledgerRun(project, request, run, { ...result, interactive: true });
  return { host: run.host.name, release: run.release, ...result };
}

interface PreparedRun {
  host: ReturnType<typeof hostsOf>[number];
  release: string;
  env: Record<string, string>;
  secretEnv: Record<string, string>;
  container?: ContainerSpec;
}

/** The host, the release serving there, and what the command runs with; nothing is started yet. */
async function prepareRun(
  project: Project,
  request: Pick<OneOffRequest, 'environment' | 'host' | 'argv'>,
): Promise<PreparedRun> {
  const { environment } = request;
  environmentConfig(project.config, environment);
  if (request.argv.length === 0 || request.argv[0] === '') {
    throw new InputError('no command to run', { hint: `slipway run ${environment} -- <command> [args…]` });
  }
  const { host, release } = await pickHost(project, request);
  const runtime = deriveReleaseRuntime(await requireRelease(project, release), environment);
  const secrets = await loadRequiredSecrets(project, environment, runtime.secretNames, 'nothing was run');
  return {
    host,
    release,
    env: runtime.env,
    secretEnv: Object.fromEntries([...secrets].map(([name, secret]) => [name, secret.reveal()])),
    ...(runtime.container ? { container: deriveContainerSpec(runtime.container, environment) } : {}),
  };
}

const runVariables = (project: Project, release: string, environment: string): Record<string, string> => ({
  SLIPWAY_APP: project.config.app,
  SLIPWAY_RELEASE: release,
  SLIPWAY_ENVIRONMENT: environment,
});

/** `command.ran`: who ran which argv where, and how it ended; never a value. */
async function ledgerRun(
  project: Project,
  request: Pick<OneOffRequest, 'environment' | 'argv'> & { timeoutMs?: number },
  run: PreparedRun,
  result: Omit<OneOffResult, 'host' | 'release'> & { interactive: boolean },
): Promise<void> {
  const ended = describeRunEnd(result, request.timeoutMs ?? 0);
  const how = result.interactive ? ' (interactive)' : '';
  await project.store.appendEvent({
    atMs: project.clock.nowMs(),
    actor: project.actor,
    app: project.config.app,
    environment: request.environment,
    release: run.release,
    kind: COMMAND_RAN,
    message: `ran ${JSON.stringify(request.argv.join(' '))}${how} on ${run.host.name} in ${run.release}: ${ended} (took ${formatDurationMs(result.durationMs)})`,
    data: {
      argv: request.argv,
      host: run.host.name,
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      durationMs: result.durationMs,
      interactive: result.interactive,
      hosts: environmentConfig(project.config, request.environment).hosts.length,
    },
  });
}

/** How a one-off command ended, in words: `exit 3`, `stopped after 1h (its timeout)`, `killed by SIGTERM`. Pure. */
export function describeRunEnd(
  result: Pick<OneOffResult, 'exitCode' | 'signal' | 'timedOut'>,
  timeoutMs: number,
): string {
  if (result.timedOut) return `stopped after ${formatDurationMs(timeoutMs)} (its timeout)`;
  return result.exitCode !== null ? `exit ${result.exitCode}` : `killed by ${result.signal ?? 'a signal'}`;
}

/** The host to run on and the release that serves there (see OneOffRequest.host). */
async function pickHost(
  project: Project,
  request: Pick<OneOffRequest, 'environment' | 'host'>,
): Promise<{ host: ReturnType<typeof hostsOf>[number]; release: string }> {
  const { environment } = request;
  const hosts = hostsOf(project, environment);
  const names = hosts.map((h) => h.name).join(', ');
  const named = typeof request.host === 'string' ? request.host : undefined;
  if (request.host === undefined && hosts.length > 1) {
    throw new InputError(`${environment} has ${hosts.length} hosts (${names}): say where to run`, {
      hint: `--host <name> for one of them, or --any for the first that answers and serves`,
    });
  }
  const candidates = named === undefined ? hosts : hosts.filter((h) => h.name === named);
  if (candidates.length === 0) {
    throw new UnknownNameError(`${named ?? ''} is not a host of ${environment}`, {
      hint: `its hosts: ${names}`,
    });
  }
  const route = environmentRoute(project.config, environment);
  const passed: string[] = [];
  for (const host of candidates) {
    const observed = await observeHosts([host], project.config.app, { route }).catch((err: unknown) => {
      if (candidates.length === 1) throw err;
      passed.push(`${host.name}: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    });
    const active = observed[0]?.active;
    if (active) return { host, release: active.release };
    if (observed.length > 0) passed.push(`${host.name}: serves nothing`);
  }
  throw new SlipwayError(
    `nothing serves ${environment} on ${candidates.map((h) => h.name).join(', ')}: there is no release to run in${passed.length > 1 ? ` (${passed.join('; ')})` : ''}`,
    { hint: `deploy first ("slipway deploy ${environment}")` },
  );
}
