import { describe, expect, it } from 'vitest';
import { planToolInstall } from '../../bench/lib/debian-tool.mjs';

// The benchmark's decision about a missing tool (HAProxy, wrk): install Debian's package when root, else stop.

const facts = {
  tool: 'haproxy',
  pkg: 'haproxy',
  present: false,
  isRoot: true,
  hasAptGet: true,
  hasPackageLists: true,
};

describe('planToolInstall', () => {
  it('uses a tool that is there, whoever runs the benchmark', () => {
    expect(planToolInstall({ ...facts, present: true })).toEqual({ kind: 'present' });
    expect(planToolInstall({ ...facts, present: true, isRoot: false, hasAptGet: false })).toEqual({
      kind: 'present',
    });
  });

  it('installs the package as root, updating the lists first only when there are none', () => {
    expect(planToolInstall(facts)).toEqual({
      kind: 'install',
      commands: [['apt-get', 'install', '-y', 'haproxy']],
      retry: [
        ['apt-get', 'update'],
        ['apt-get', 'install', '-y', 'haproxy'],
      ],
    });
    expect(planToolInstall({ ...facts, tool: 'wrk', pkg: 'wrk', hasPackageLists: false })).toEqual({
      kind: 'install',
      commands: [
        ['apt-get', 'update'],
        ['apt-get', 'install', '-y', 'wrk'],
      ],
      retry: null,
    });
  });

  it('stops with the install command when not root', () => {
    const plan = planToolInstall({ ...facts, tool: 'wrk', pkg: 'wrk', isRoot: false });
    expect(plan.kind).toBe('refuse');
    expect(plan.kind === 'refuse' && plan.message).toContain(
      'wrk is not installed. Install it with `apt-get update && apt-get install -y wrk` (Debian)',
    );
  });

  it('stops when there is no apt-get to install with', () => {
    const plan = planToolInstall({ ...facts, hasAptGet: false });
    expect(plan.kind).toBe('refuse');
    expect(plan.kind === 'refuse' && plan.message).toContain('no apt-get to install haproxy with');
  });
});
