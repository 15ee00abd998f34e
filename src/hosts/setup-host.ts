import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { SlipwayError } from '../core/errors.js';
import { chooseServiceManager, parseSha256sum } from './host-facts.js';
import { AgentNotRunningError } from './ssh-errors.js';
import type { SshHost } from './ssh-host.js';
import { renderSystemdUnit, SYSTEMD_UNIT_NAME, SYSTEMD_UNIT_PATH } from './systemd-unit.js';

const AGENT_READY_TIMEOUT_MS = 15_000;

export interface SetupHostOptions {
  /** The agent bundle to upload (dist/agent.js). */
  agentBundle: string;
  /** The node binary to upload (process.execPath: same version and architecture as the control plane). */
  nodeBinary: string;
  /** The version the uploaded bundle reports; a running agent with another version is restarted. */
  agentVersion: string;
  /**
   * Around a restart of a running agent: take the host out of its environment's edge first and put it back
   * after, so users are not sent to a router that is down for a moment.
   */
  aroundRestart?: { before(): Promise<void>; after(): Promise<void> };
  /** `auto`: a systemd unit when systemd runs and the user is root, else a detached process. */
  service?: 'auto' | 'systemd' | 'detached';
}

export interface SetupFileResult {
  file: 'node' | 'agent.js';
  path: string;
  action: 'uploaded' | 'skipped';
  sha256: string;
  bytes: number;
}

export interface SetupHostResult {
  host: string;
  files: SetupFileResult[];
  service: 'systemd' | 'detached';
  /** What happened to the agent: a restart keeps the targets running (the new agent adopts them). */
  agent: 'started' | 'already-running' | 'upgraded' | 'restarted';
  previousVersion: string | null;
  agentVersion: string;
  agentPid: number;
  nodeVersion: string;
  notes: string[];
}

/**
 * Installs (or upgrades) the agent on a host: uploads node and the agent bundle when their checksums differ,
 * and starts the agent so that it survives logout and reboot. Idempotent: a second run changes nothing.
 */
export async function setupHost(host: SshHost, options: SetupHostOptions): Promise<SetupHostResult> {
  const { paths } = host;
  await host.execChecked(['mkdir', '-p', paths.bin, paths.agentDir, paths.artifacts]);
  await host.execChecked(['chmod', '700', paths.agentDir]);

  const files = await uploadIfChanged(host, [
    { file: 'node', local: options.nodeBinary, path: paths.node },
    { file: 'agent.js', local: options.agentBundle, path: paths.agentJs },
  ]);
  const nodeVersion = await runtimeVersion(host);
  const service =
    options.service === undefined || options.service === 'auto' ? await detectService(host) : options.service;
  const running = await pingWithoutStarting(host);
  const changed = files.some((f) => f.action === 'uploaded');
  const notes: string[] = [];

  let agent: SetupHostResult['agent'];
  if (!running) {
    agent = 'started';
  } else if (running.agentVersion !== options.agentVersion || changed) {
    agent = running.agentVersion !== options.agentVersion ? 'upgraded' : 'restarted';
    notes.push(
      running.routerPid
        ? `the agent was restarted (pid ${running.pid}); its targets kept running and were adopted, and the router process (pid ${running.routerPid}) kept serving the public ports (it runs the new router code from its next restart)`
        : `the agent was restarted (pid ${running.pid}) and its routes moved into a router process of their own; its targets kept running and were adopted, but the public ports were down during the move (typically under a second)`,
    );
  } else {
    agent = 'already-running';
  }

  const restarting = running !== null && agent !== 'already-running';
  // Only an agent that serves the routes itself (one from before the router process) closes them to restart.
  const edgeDrain = restarting && !running.routerPid ? options.aroundRestart : undefined;
  if (edgeDrain) {
    await edgeDrain.before();
    notes.push('the host was out of the edge during the restart: no user request reached it');
  }
  try {
    await restartOrStart();
  } finally {
    await edgeDrain?.after();
  }

  async function restartOrStart(): Promise<void> {
    if (service === 'systemd') {
      const moved = await startUnderSystemd(host, Boolean(running), agent !== 'already-running');
      if (moved && agent === 'already-running') {
        agent = 'restarted';
        notes.push(
          `the agent ran outside systemd and was restarted under ${SYSTEMD_UNIT_NAME}; its targets kept running, the routers' public ports were down for the restart (typically well under a second)`,
        );
      }
    } else if (agent === 'upgraded' || agent === 'restarted') {
      await host.restartAgentProcess({ alsoKeeper: true });
    }
  }
  const now = service === 'systemd' ? await waitForAgent(host) : await (await host.agent()).call('ping', {});
  if (now.agentVersion !== options.agentVersion) {
    throw new SlipwayError(
      `the agent on ${host.name} reports version ${now.agentVersion} after setup, expected ${options.agentVersion}`,
      { hint: `see its log: ${paths.agentDir}/agent.log` },
    );
  }
  return {
    host: host.name,
    files,
    service,
    agent,
    previousVersion: running?.agentVersion ?? null,
    agentVersion: now.agentVersion,
    agentPid: now.pid,
    nodeVersion,
    notes,
  };
}

async function uploadIfChanged(
  host: SshHost,
  wanted: Array<{ file: SetupFileResult['file']; local: string; path: string }>,
): Promise<SetupFileResult[]> {
  // sha256sum exits 1 when a file is missing, and still prints the others.
  const remote = parseSha256sum((await host.exec(['sha256sum', ...wanted.map((w) => w.path)])).stdout);
  const results: SetupFileResult[] = [];
  // Each upload is verified (sha256sum on the host) under its temp name, before it is renamed into place.
  for (const w of wanted) {
    const [sha256, bytes] = await Promise.all([sha256File(w.local), stat(w.local).then((s) => s.size)]);
    const action = remote.get(w.path) === sha256 ? 'skipped' : 'uploaded';
    if (action === 'uploaded') await host.upload(w.local, w.path, { mode: 0o755, expectSha256: sha256 });
    results.push({ file: w.file, path: w.path, action, sha256, bytes });
  }
  await host.execChecked(['chmod', '755', ...wanted.map((w) => w.path)]);
  return results;
}

async function runtimeVersion(host: SshHost): Promise<string> {
  const result = await host.exec([host.paths.node, '--version']);
  if (result.code !== 0) {
    throw new SlipwayError(
      `the uploaded node does not run on ${host.name}: ${result.stderr.trim() || `exit ${result.code ?? 'signal'}`}`,
      { hint: 'the host needs the same CPU architecture as this machine and a glibc-based Linux' },
    );
  }
  return result.stdout.trim();
}

async function detectService(host: SshHost): Promise<'systemd' | 'detached'> {
  const [uid, state] = await Promise.all([
    host.exec(['id', '-u']),
    host.exec(['systemctl', 'is-system-running']),
  ]);
  return chooseServiceManager(uid.stdout, state.code === 127 ? '' : state.stdout);
}

async function pingWithoutStarting(
  host: SshHost,
): Promise<{ agentVersion: string; pid: number; routerPid: number | null } | null> {
  try {
    const { agentVersion, pid, routerPid } = await (await host.agent({ start: false })).call('state', {});
    return { agentVersion, pid, routerPid: routerPid ?? null };
  } catch (err) {
    if (err instanceof AgentNotRunningError) return null;
    throw err;
  }
}

/**
 * Installs or refreshes the unit and makes systemd run the agent. An agent running outside systemd (set up
 * before systemd was there) is shut down first so that the unit's agent can take the socket; true then.
 */
async function startUnderSystemd(host: SshHost, running: boolean, restart: boolean): Promise<boolean> {
  const unit = renderSystemdUnit(host.paths);
  const current = await host.exec(['cat', SYSTEMD_UNIT_PATH]);
  if (current.code !== 0 || current.stdout !== unit) {
    await host.writeFile(SYSTEMD_UNIT_PATH, unit);
    await host.execChecked(['systemctl', 'daemon-reload']);
  }
  await host.execChecked(['systemctl', 'enable', SYSTEMD_UNIT_NAME]);
  const active = (await host.exec(['systemctl', 'is-active', SYSTEMD_UNIT_NAME])).stdout.trim() === 'active';
  if (active) {
    if (restart) {
      // The unit's keeper restarts alone (KillMode=process) and adopts the agent and the router process; the
      // agent is then restarted on its own, by the keeper, with the new code.
      await host.execChecked(['systemctl', 'restart', SYSTEMD_UNIT_NAME]);
      await host.restartAgentProcess({ alsoKeeper: false });
    }
    return false;
  }
  const moved = running && (await host.stopAgent({ stopTargets: false }));
  await host.execChecked(['systemctl', 'start', SYSTEMD_UNIT_NAME]);
  return moved;
}

async function waitForAgent(host: SshHost): Promise<{ agentVersion: string; pid: number }> {
  const deadline = Date.now() + AGENT_READY_TIMEOUT_MS;
  for (;;) {
    try {
      return await (await host.agent({ start: false })).call('ping', {});
    } catch (err) {
      if (!(err instanceof AgentNotRunningError) || Date.now() > deadline) {
        throw new SlipwayError(`the agent on ${host.name} did not come up under systemd`, {
          cause: err,
          hint: `see: journalctl -u ${SYSTEMD_UNIT_NAME} and ${host.paths.agentDir}/agent.log`,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
