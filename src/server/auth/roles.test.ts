import { describe, expect, it } from 'vitest';
import { can, grantedEnvironments, parseGrant, type Action, type Grant } from './roles.js';

const g = (text: string): Grant => parseGrant(text);

describe('can', () => {
  const table: Array<[string, Action, string | null, boolean]> = [
    ['viewer', 'read', 'production', true],
    ['viewer', 'deploy', 'production', false],
    ['viewer', 'approve', 'production', false],
    ['deployer:staging', 'deploy', 'staging', true],
    ['deployer:staging', 'deploy', 'production', false],
    ['deployer:staging', 'read', 'production', false],
    ['deployer:staging', 'read', null, true],
    ['deployer:staging', 'approve', 'staging', false],
    ['approver:production', 'approve', 'production', true],
    ['approver:production', 'deploy', 'production', false],
    ['admin', 'admin', null, true],
    ['admin', 'deploy', 'anything', true],
    ['deployer', 'admin', null, false],
  ];
  it.each(table)('%s may %s in %s: %s', (grant, action, env, expected) => {
    expect(can([g(grant)], action, env)).toBe(expected);
  });

  it('adds grants up', () => {
    const grants = [g('viewer:production'), g('deployer:staging')];
    expect(can(grants, 'read', 'production')).toBe(true);
    expect(can(grants, 'deploy', 'production')).toBe(false);
    expect(grantedEnvironments(grants, 'read')).toEqual(['production', 'staging']);
    expect(grantedEnvironments([...grants, g('viewer')], 'read')).toBe('*');
    expect(grantedEnvironments(grants, 'approve')).toEqual([]);
  });
});

describe('parseGrant', () => {
  it('reads a role over all environments or a list', () => {
    expect(parseGrant('deployer')).toEqual({ role: 'deployer', environments: '*' });
    expect(parseGrant('approver: staging, production')).toEqual({
      role: 'approver',
      environments: ['staging', 'production'],
    });
  });
  it('refuses unknown roles, empty lists and a scoped admin', () => {
    expect(() => parseGrant('root')).toThrow(/unknown role "root"/);
    expect(() => parseGrant('deployer:')).toThrow(/names no environment/);
    expect(() => parseGrant('admin:production')).toThrow(/every environment/);
  });
});
