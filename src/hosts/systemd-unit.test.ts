import { describe, expect, it } from 'vitest';
import { sshAgentPaths } from './ssh-host.js';
import { renderSystemdUnit } from './systemd-unit.js';

describe('the systemd unit', () => {
  it('runs the keeper of the uploaded bundle, leaves what it runs alone on restart, and stays stopped when told', () => {
    const unit = renderSystemdUnit(sshAgentPaths('/var/lib/slipway'));
    expect(unit).toContain(
      'ExecStart=/var/lib/slipway/bin/node /var/lib/slipway/bin/agent.js keeper --home /var/lib/slipway/agent\n',
    );
    expect(unit).toContain('Restart=always\n');
    expect(unit).toContain('KillMode=process\n');
    expect(unit).toContain('RestartPreventExitStatus=75\n');
    expect(unit).toContain('WantedBy=multi-user.target\n');
  });

  it('quotes paths with spaces and escapes % specifiers', () => {
    const unit = renderSystemdUnit(sshAgentPaths('/srv/my apps/100%'));
    expect(unit).toContain(
      'ExecStart="/srv/my apps/100%%/bin/node" "/srv/my apps/100%%/bin/agent.js" keeper --home',
    );
  });
});
