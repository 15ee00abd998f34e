import { KEEPER_STOPPED_EXIT } from '../agent/keeper.js';
import type { sshAgentPaths } from './ssh-host.js';

export const SYSTEMD_UNIT_NAME = 'slipway-agent.service';
export const SYSTEMD_UNIT_PATH = `/etc/systemd/system/${SYSTEMD_UNIT_NAME}`;

/**
 * The unit that keeps the keeper running across logouts, crashes and reboots; the keeper runs (and restarts) the
 * router process and the agent. KillMode=process: a restart stops only the keeper, never the router process, the
 * agent or the targets in its cgroup (they run on, and the new keeper adopts them). The keeper exits with
 * KEEPER_STOPPED_EXIT when `slipway agent stop` stopped everything on purpose: systemd leaves it stopped then.
 * Pure.
 */
export function renderSystemdUnit(paths: ReturnType<typeof sshAgentPaths>): string {
  const exec = [paths.node, paths.agentJs, 'keeper', '--home', paths.agentDir]
    .map(quoteSystemdWord)
    .join(' ');
  return [
    '[Unit]',
    'Description=Slipway keeper (runs the router process and the agent, which supervises targets)',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    `ExecStart=${exec}`,
    'Restart=always',
    'RestartSec=1',
    'KillMode=process',
    `RestartPreventExitStatus=${KEEPER_STOPPED_EXIT}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

function quoteSystemdWord(word: string): string {
  return /^[A-Za-z0-9_/.:@+=-]+$/.test(word)
    ? word
    : `"${word.replace(/(["\\])/g, '\\$1').replaceAll('%', '%%')}"`;
}
