import { describe, expect, it } from 'vitest';
import { missingRequirements, planPrereqs, REQUIREMENTS } from '../../scripts/test-prereqs.mjs';

// What `npm test` does first about the Debian packages the tests need: nothing, install them (root), or stop
// and say what to install.

const sshd = REQUIREMENTS.find((r) => r.pkg === 'openssh-server')!;
const ssh = { command: 'ssh', pkg: 'openssh-client', why: 'SSH hosts (ssh, ssh-keygen)' };
const postgres = REQUIREMENTS.filter((r) => r.pkg.startsWith('postgresql'));
const facts = { missing: [sshd], isRoot: true, hasAptGet: true, hasPackageLists: true, platform: 'linux' };

describe('planPrereqs', () => {
  it('does nothing when nothing is missing, whoever runs the tests', () => {
    expect(planPrereqs({ ...facts, missing: [] })).toEqual({ kind: 'present' });
    expect(planPrereqs({ ...facts, missing: [], isRoot: false, hasAptGet: false })).toEqual({
      kind: 'present',
    });
  });

  it('installs the missing packages as root, updating the lists first only when there are none', () => {
    const plan = planPrereqs({ ...facts, missing: [sshd, ...postgres] });
    expect(plan).toMatchObject({
      kind: 'install',
      pkgs: ['openssh-server', 'postgresql', 'postgresql-client'],
      commands: [['apt-get', 'install', '-y', '-qq', 'openssh-server', 'postgresql', 'postgresql-client']],
      retry: [
        ['apt-get', 'update', '-qq'],
        ['apt-get', 'install', '-y', '-qq', 'openssh-server', 'postgresql', 'postgresql-client'],
      ],
    });
    expect(planPrereqs({ ...facts, hasPackageLists: false })).toMatchObject({
      kind: 'install',
      commands: [
        ['apt-get', 'update', '-qq'],
        ['apt-get', 'install', '-y', '-qq', 'openssh-server'],
      ],
      retry: null,
    });
  });

  it('names each package once, with every reason it is needed', () => {
    const plan = planPrereqs({
      ...facts,
      missing: [sshd, ssh, { ...ssh, command: 'ssh-keygen', why: 'keys' }],
    });
    expect(plan.kind === 'install' && plan.pkgs).toEqual(['openssh-server', 'openssh-client']);
    expect(plan.kind === 'install' && plan.failed).toContain(
      '  openssh-client: SSH hosts (ssh, ssh-keygen); keys\n',
    );
  });

  it('stops with the exact apt-get command when not root', () => {
    const plan = planPrereqs({ ...facts, missing: [sshd, ...postgres], isRoot: false });
    expect(plan.kind).toBe('refuse');
    const message = plan.kind === 'refuse' ? plan.message : '';
    expect(message).toContain('  openssh-server: SSH hosts (a real sshd)\n');
    expect(message).toContain(
      'sudo apt-get update && sudo apt-get install -y openssh-server postgresql postgresql-client\n',
    );
    expect(message).toContain('as root, `npm test` installs them itself');
  });

  it('stops when there is no apt-get, or not on Linux', () => {
    const noApt = planPrereqs({ ...facts, hasAptGet: false });
    expect(noApt.kind === 'refuse' && noApt.message).toContain('There is no apt-get here');
    const mac = planPrereqs({ ...facts, platform: 'darwin' });
    expect(mac.kind === 'refuse' && mac.message).toContain('The test suite runs on Linux');
  });
});

describe('missingRequirements', () => {
  it('finds commands on the PATH and files, with a directory wildcard', () => {
    expect(
      missingRequirements([
        { command: 'node', pkg: 'nodejs', why: 'x' },
        { command: 'no-such-command-slipway', pkg: 'nothing', why: 'x' },
        { file: '/proc/*/status', pkg: 'procfs', why: 'x' },
        { file: '/no/such/*/file', pkg: 'nothing-either', why: 'x' },
      ]).map((r) => r.pkg),
    ).toEqual(['nothing', 'nothing-either']);
  });
});
