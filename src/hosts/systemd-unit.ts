import type { sshAgentPaths } from './ssh-host.js';

export const SYSTEMD_UNIT_NAME = 'slipway-agent.service';
export const SYSTEMD_UNIT_PATH = `/etc/systemd/system/${SYSTEMD_UNIT_NAME}`;

/**
 * The unit that keeps the agent running across logouts, crashes and reboots. KillMode=process: a restart stops
 * only the agent, never the targets in its cgroup (they run on, and the new agent adopts them). Pure.
 */
export function renderSystemdUnit(paths: ReturnType<typeof sshAgentPaths>): string {
  const exec = [paths.node, paths.agentJs, '--home', paths.agentDir].map(quoteSystemdWord).join(' ');
  return [
    '[Unit]',
    'Description=Slipway agent (supervises targets and runs the routers)',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    `ExecStart=${exec}`,
    'Restart=always',
    'RestartSec=1',
    'KillMode=process',
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
