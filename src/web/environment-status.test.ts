import { describe, expect, it } from 'vitest';
import {
  certificateRow,
  edgeMemberState,
  roleOf,
  servingReleases,
  type EnvironmentStatusView,
  type HostStatusView,
} from './environment-status.js';

const target = (id: string, release: string, stopAtMs: number | null = null) => ({
  id,
  release,
  state: 'running' as const,
  health: 'healthy' as const,
  stopAtMs,
});

const host = (route: HostStatusView['route'], targets = [target('a', '1.0.0'), target('b', '2.0.0')]) => ({
  host: 'web-1',
  error: null,
  agent: { pid: 1, version: '0.1.0' },
  route,
  targets,
});

describe('roleOf', () => {
  it('names the canary and the stable with their weights during a split', () => {
    const h = host({ active: 'a', draining: [], split: { canary: 'b', weight: 20 } });
    expect(roleOf(h, 'a')).toEqual({ role: 'stable', weight: 80 });
    expect(roleOf(h, 'b')).toEqual({ role: 'canary', weight: 20 });
  });

  it('names the serving, draining, warm and idle targets', () => {
    const h = host({ active: 'b', draining: ['a'], split: null }, [
      target('a', '1.0.0'),
      target('b', '2.0.0'),
      target('c', '0.9.0', 5000),
      target('d', '0.8.0'),
    ]);
    expect(['a', 'b', 'c', 'd'].map((id) => roleOf(h, id).role)).toEqual([
      'draining',
      'serving',
      'warm',
      'idle',
    ]);
  });
});

describe('servingReleases', () => {
  it("is each host's active target's release, null where nothing is served", () => {
    const status: EnvironmentStatusView = {
      environment: 'production',
      strategy: 'blue-green',
      hosts: [
        host({ active: 'b', draining: [], split: null }),
        { ...host(null), host: 'web-2' },
        { ...host({ active: 'gone', draining: [], split: null }), host: 'web-3' },
      ],
      lastDeployment: null,
      canaryVerdict: null,
      lock: null,
    };
    expect(servingReleases(status)).toEqual([
      { host: 'web-1', release: '2.0.0' },
      { host: 'web-2', release: null },
      { host: 'web-3', release: null },
    ]);
  });
});

describe('edgeMemberState', () => {
  const m = (state: 'in-rotation' | 'ejected' | 'disabled', sinceMs: number | null) => ({
    id: 'web-2',
    address: '10.0.0.12',
    port: 8420,
    state,
    sinceMs,
    cause: null,
    why: null,
    health: 'unknown' as const,
    inFlight: 0,
    answerTimeoutMs: null,
  });
  it.each([
    { member: m('in-rotation', null), label: 'in rotation' },
    { member: m('ejected', 60_000), label: 'ejected 12s ago' },
    { member: m('disabled', 72_000), label: 'disabled just now' },
    { member: m('ejected', null), label: 'ejected' },
  ])('$member.state since $member.sinceMs → $label', ({ member, label }) => {
    expect(edgeMemberState(member, 72_000)).toEqual({ state: member.state, label });
  });
});

describe('certificateRow', () => {
  const NOW = Date.parse('2026-01-01T00:00:00.000Z');
  const certificate = {
    names: ['shop.test', 'www.shop.test'],
    issuer: "C=US, O=Let's Encrypt, CN=R11",
    notBefore: '2025-12-01T00:00:00.000Z',
    notAfter: '2026-01-06T00:00:00.000Z',
    source: 'acme' as const,
    state: 'expiring' as const,
    daysLeft: 5,
    error: null,
    hosts: ['web-1'],
  };

  it('shows names, issuer and expiry, the state word flagging one that expires soon', () => {
    expect(certificateRow(certificate, NOW)).toEqual({
      names: 'shop.test, www.shop.test',
      issuer: "R11 (Let's Encrypt)",
      state: 'expiring',
      label: 'expires 2026-01-06 (in 5 days)',
    });
    expect(
      certificateRow({ ...certificate, state: 'unreadable', error: 'cannot read /x.pem: ENOENT' }, NOW),
    ).toMatchObject({ state: 'unreadable', label: 'unreadable: cannot read /x.pem: ENOENT' });
  });
});
