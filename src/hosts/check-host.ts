import { formatBytes } from '../core/bytes.js';
import type { AgentState } from '../agent/protocol.js';
import {
  parseDfAvailable,
  parseEpochMs,
  parseEpochSeconds,
  parseMemAvailable,
  parseProcNetTcpListeners,
  parseSsListeners,
  parseUname,
  pathAndAncestors,
  unameMachinesFor,
  type Listener,
} from './host-facts.js';
import { buildPreflightScript, parsePreflightFacts, type PreflightFacts } from '../agent/preflight-facts.js';
import { AgentNotRunningError } from './ssh-errors.js';
import { holderOf, type PortOwner } from './port-holder.js';
import { judgeFrontDoorPorts, type FrontDoorPorts } from './judge-front-door.js';
import type { ExecResult, SshHost } from './ssh-host.js';

export const CLOCK_SKEW_WARN_MS = 1_000;
export const CLOCK_SKEW_FAIL_MS = 30_000;

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckRow {
  check:
    | 'connection'
    | 'os'
    | 'disk'
    | 'memory'
    | 'port'
    | 'front door'
    | 'runtime'
    | 'clock'
    | 'agent'
    | 'supervisor'
    | 'registry';
  status: CheckStatus;
  detail: string;
  hint?: string;
}

export interface CheckHostOptions {
  publicPort: number;
  requiredDiskBytes: number;
  minMemoryBytes: number;
  /** The control plane's clock (read before and after the host's, to judge the skew). */
  controlPlaneNowMs: () => number;
  /** The version this Slipway ships; an agent running another one gets a warning. */
  agentVersion?: string;
  /** The control plane's `process.arch` (the node binary we upload is built for it). */
  nodeArch?: string;
  /** For hints (`slipway setup <env>`). */
  environment?: string;
  /** The host's front door the environment's `domains` are served on: its ports are checked too. */
  frontDoor?: FrontDoorPorts | null;
}

/**
 * Preflight checks of one host, as rows. Connection problems give a single failed row; everything else comes
 * from the agent's state and one script printing every fact (preflight-facts.ts), run by the agent when it runs
 * or else as one remote command, and is judged by the pure functions below.
 */
export async function checkHost(host: SshHost, options: CheckHostOptions): Promise<CheckRow[]> {
  try {
    await host.connect();
  } catch (err) {
    const hint = (err as { hint?: unknown }).hint;
    return [
      {
        check: 'connection',
        status: 'fail',
        detail: err instanceof Error ? err.message : String(err),
        ...(typeof hint === 'string' ? { hint } : {}),
      },
    ];
  }
  const setupHint = `run: slipway setup ${options.environment ?? '<env>'}`;
  const { paths } = host;
  // A running agent reads the facts itself (no command over SSH: no login shell on the host, and the clock is
  // bracketed by one round trip); otherwise one script over an SSH exec reads them.
  const agent = await readAgentState(host);
  const factsScript = { node: paths.node, dfPaths: pathAndAncestors(paths.home) };
  const read =
    (agent && !(agent instanceof Error) ? await readFactsThroughAgent(host, factsScript, options) : null) ??
    (await readFactsOverSsh(host, factsScript, options));
  const { beforeMs, afterMs } = read;
  const facts = parsePreflightFacts(read.output);
  const installed = facts.node.code === 0;
  const listeners = readListeners(facts);
  const owner = installed && !(agent instanceof Error) ? agent : null;
  const { config } = host;
  return [
    {
      check: 'connection',
      status: 'ok',
      detail: `${config.user}@${config.address}:${config.port}${host.lastConnectMs === null ? '' : `, connected in ${Math.round(host.lastConnectMs)} ms`}`,
    },
    judgeOs(facts.uname, options.nodeArch ?? process.arch),
    judgeDisk(facts.df, paths.home, options.requiredDiskBytes),
    judgeMemory(facts.meminfo, options.minMemoryBytes),
    judgePort(options.publicPort, listeners, owner),
    ...(options.frontDoor
      ? judgeFrontDoorPorts(options.frontDoor, listeners, owner, options.environment)
      : []),
    judgeRuntime(facts.node, paths.node, setupHint),
    judgeClock(readClockMs(facts), beforeMs, afterMs),
    judgeAgent(installed, installed ? agent : null, options.agentVersion, setupHint),
    judgeSupervisor(installed ? agent : null, setupHint),
  ];
}

export function readListeners(facts: PreflightFacts): Listener[] | null {
  if (facts.ss !== null) return parseSsListeners(facts.ss);
  return facts.procNetTcp ? parseProcNetTcpListeners(facts.procNetTcp) : null;
}

/** `date +%s%3N`, or to the second (+500 ms, the middle of it) where `%N` is not supported. */
function readClockMs(facts: PreflightFacts): number | null {
  const ms = parseEpochMs(facts.dateMs);
  if (ms !== null) return ms;
  const seconds = parseEpochSeconds(facts.dateSeconds);
  return seconds === null ? null : seconds + 500;
}

interface FactsRead {
  output: string;
  beforeMs: number;
  afterMs: number;
}

async function readFactsThroughAgent(
  host: SshHost,
  script: { node: string; dfPaths: string[] },
  options: CheckHostOptions,
): Promise<FactsRead | null> {
  try {
    const client = await host.agent({ start: false });
    const beforeMs = options.controlPlaneNowMs();
    const { output } = await client.call('preflightFacts', script);
    return { output, beforeMs, afterMs: options.controlPlaneNowMs() };
  } catch {
    // An agent older than this method, or one that could not run the script: ask over SSH instead.
    return null;
  }
}

async function readFactsOverSsh(
  host: SshHost,
  script: { node: string; dfPaths: string[] },
  options: CheckHostOptions,
): Promise<FactsRead> {
  const beforeMs = options.controlPlaneNowMs();
  const { stdout } = await host.exec(['sh', '-c', buildPreflightScript(script)]);
  return { output: stdout, beforeMs, afterMs: options.controlPlaneNowMs() };
}

/** The agent's state; null when none runs (or node is missing: then the facts say it is not installed). */
async function readAgentState(host: SshHost): Promise<AgentState | null | Error> {
  try {
    return await (await host.agent({ start: false })).call('state', {});
  } catch (err) {
    if (err instanceof AgentNotRunningError) return null;
    return err instanceof Error ? err : new Error(String(err));
  }
}

export function judgeOs(unameOutput: string, nodeArch: string): CheckRow {
  const uname = parseUname(unameOutput);
  if (!uname)
    return { check: 'os', status: 'fail', detail: `cannot read uname -sm: "${unameOutput.trim()}"` };
  const detail = `${uname.os} ${uname.machine}`;
  if (uname.os !== 'Linux') {
    return { check: 'os', status: 'fail', detail: `${detail}: the agent runs on Linux only` };
  }
  if (!unameMachinesFor(nodeArch).includes(uname.machine)) {
    return {
      check: 'os',
      status: 'fail',
      detail: `${detail}: the control plane's node is built for ${nodeArch}, and setup uploads that binary`,
      hint: `run slipway setup from a machine of the host's architecture (${uname.machine})`,
    };
  }
  return { check: 'os', status: 'ok', detail };
}

export function judgeDisk(dfOutput: string, agentHome: string, requiredBytes: number): CheckRow {
  const df = parseDfAvailable(dfOutput);
  if (!df) return { check: 'disk', status: 'fail', detail: `cannot read df -Pk for ${agentHome}` };
  const detail = `${formatBytes(df.availableBytes)} free on ${df.mountedOn} (for ${agentHome}; needs ${formatBytes(requiredBytes)})`;
  return { check: 'disk', status: df.availableBytes < requiredBytes ? 'fail' : 'ok', detail };
}

/** Below the minimum is a warning: available memory moves, and the kernel can reclaim more. */
export function judgeMemory(meminfo: string, minBytes: number): CheckRow {
  const available = parseMemAvailable(meminfo);
  if (available === null) return { check: 'memory', status: 'warn', detail: 'cannot read /proc/meminfo' };
  const detail = `${formatBytes(available)} available (wants ${formatBytes(minBytes)})`;
  return { check: 'memory', status: available < minBytes ? 'warn' : 'ok', detail };
}

export function judgePort(
  port: number,
  listeners: readonly Listener[] | null,
  agent: PortOwner | null,
): CheckRow {
  const route = agent?.routes.find((r) => r.publicPort === port);
  if (route) {
    return {
      check: 'port',
      status: 'ok',
      detail: `${port} is held by the slipway agent (router of ${route.app})`,
    };
  }
  const holder = holderOf(port, listeners, agent);
  switch (holder.kind) {
    case 'unknown':
      return { check: 'port', status: 'warn', detail: `cannot list listening sockets` };
    case 'free':
      return { check: 'port', status: 'ok', detail: `${port} is free` };
    case 'ours':
      return { check: 'port', status: 'ok', detail: `${port} is held by ${holder.who} (pid ${holder.pid})` };
    case 'theirs':
      return {
        check: 'port',
        status: 'fail',
        detail: `${port} is in use by ${holder.who}`,
        hint: 'stop that process or choose another public port for the environment',
      };
  }
}

export function judgeRuntime(result: ExecResult, nodePath: string, setupHint: string): CheckRow {
  if (result.code === 0) return { check: 'runtime', status: 'ok', detail: `node ${result.stdout.trim()}` };
  if (result.code === 127 || result.code === 126) {
    return { check: 'runtime', status: 'warn', detail: `not installed yet (${nodePath})`, hint: setupHint };
  }
  return {
    check: 'runtime',
    status: 'fail',
    detail: `${nodePath} does not run: ${result.stderr.trim() || `exit ${result.code ?? 'signal'}`}`,
    hint: setupHint,
  };
}

/** The host's clock against the midpoint of the control plane's before/after readings. */
export function judgeClock(remoteMs: number | null, beforeMs: number, afterMs: number): CheckRow {
  if (remoteMs === null)
    return { check: 'clock', status: 'warn', detail: 'cannot read the clock (date +%s)' };
  const skewMs = remoteMs - (beforeMs + afterMs) / 2;
  const abs = Math.abs(skewMs);
  const detail = `${Math.round(abs)} ms ${skewMs >= 0 ? 'ahead of' : 'behind'} the control plane (±${Math.ceil((afterMs - beforeMs) / 2)} ms)`;
  const status: CheckStatus = abs > CLOCK_SKEW_FAIL_MS ? 'fail' : abs > CLOCK_SKEW_WARN_MS ? 'warn' : 'ok';
  return {
    check: 'clock',
    status,
    detail,
    ...(status === 'ok' ? {} : { hint: 'run NTP (chrony, systemd-timesyncd) on the host' }),
  };
}

/** Who starts the agent and the router process again when they die (nothing, for an agent run alone). */
export function judgeSupervisor(
  state: Pick<AgentState, 'pid' | 'supervisor' | 'routerPid'> | null | Error,
  setupHint: string,
): CheckRow {
  if (state === null || state instanceof Error) {
    return {
      check: 'supervisor',
      status: 'warn',
      detail: 'unknown: the agent does not answer',
      hint: setupHint,
    };
  }
  if (!state.supervisor) {
    return {
      check: 'supervisor',
      status: 'warn',
      detail: `nothing restarts the agent (pid ${state.pid}) if it dies; it serves the routes itself`,
      hint: `${setupHint} (runs it under the keeper)`,
    };
  }
  return {
    check: 'supervisor',
    status: 'ok',
    detail: `the agent (pid ${state.pid}) and the router process (pid ${state.routerPid ?? '?'}) are restarted by ${state.supervisor}`,
  };
}

export function judgeAgent(
  installed: boolean,
  state: Pick<AgentState, 'agentVersion' | 'pid'> | null | Error,
  expectedVersion: string | undefined,
  setupHint: string,
): CheckRow {
  if (!installed) return { check: 'agent', status: 'warn', detail: 'not installed yet', hint: setupHint };
  if (state instanceof Error)
    return { check: 'agent', status: 'fail', detail: state.message, hint: setupHint };
  if (state === null) {
    return { check: 'agent', status: 'warn', detail: 'installed but not running', hint: setupHint };
  }
  const detail = `${state.agentVersion} running (pid ${state.pid})`;
  if (expectedVersion !== undefined && state.agentVersion !== expectedVersion) {
    return {
      check: 'agent',
      status: 'warn',
      detail: `${detail}; this Slipway ships ${expectedVersion}`,
      hint: `${setupHint} (upgrades the agent)`,
    };
  }
  return { check: 'agent', status: 'ok', detail };
}

export { formatBytes };
