import { describe, expect, it } from 'vitest';
import {
  checkApprover,
  describeRequirements,
  evaluateApprovals,
  findPerson,
  type ApprovalDecision,
  type ApprovalPolicy,
} from './evaluate-approvals.js';

const HOUR = 3_600_000;
const team = {
  alice: { roles: ['deployer'] },
  bob: { roles: ['approver'] },
  carol: { roles: ['approver', 'admin'] },
  dave: { roles: ['admin'] },
  erin: { roles: ['approver'], environments: ['staging'] },
};
const policy: ApprovalPolicy = {
  requirements: [{ role: 'approver', count: 1 }],
  allowSelfApproval: false,
  expiresAfterMs: 24 * HOUR,
  requestedBy: 'alice@laptop',
  environment: 'production',
  team,
};
const approve = (actor: string, atMs = 0): ApprovalDecision => ({
  actor,
  decision: 'approve',
  atMs,
  comment: null,
});
const reject = (actor: string, atMs = 0, comment = 'not now'): ApprovalDecision => ({
  actor,
  decision: 'reject',
  atMs,
  comment,
});

describe('evaluateApprovals', () => {
  const table: Array<[string, Partial<ApprovalPolicy>, ApprovalDecision[], string, string[], object[]]> = [
    ['nobody yet', {}, [], 'pending', [], [{ role: 'approver', count: 1 }]],
    ['one approver', {}, [approve('bob')], 'approved', ['bob'], []],
    ['the default actor form user@host', {}, [approve('bob@desk')], 'approved', ['bob'], []],
    ['someone without the role', {}, [approve('dave')], 'pending', [], [{ role: 'approver', count: 1 }]],
    ['someone outside the team', {}, [approve('mallory')], 'pending', [], [{ role: 'approver', count: 1 }]],
    [
      'a role scoped to another environment',
      {},
      [approve('erin')],
      'pending',
      [],
      [{ role: 'approver', count: 1 }],
    ],
    [
      'the deployer approving their own deployment',
      { requestedBy: 'bob@laptop' },
      [approve('bob')],
      'pending',
      [],
      [{ role: 'approver', count: 1 }],
    ],
    [
      'self-approval allowed by config',
      { requestedBy: 'bob@laptop', allowSelfApproval: true },
      [approve('bob')],
      'approved',
      ['bob'],
      [],
    ],
    [
      'two approvers needed, the same one twice',
      { requirements: [{ role: 'approver', count: 2 }] },
      [approve('bob', 1), approve('bob', 2)],
      'pending',
      ['bob'],
      [{ role: 'approver', count: 1 }],
    ],
    [
      'two approvers needed, two people',
      { requirements: [{ role: 'approver', count: 2 }] },
      [approve('bob'), approve('carol')],
      'approved',
      ['bob', 'carol'],
      [],
    ],
    [
      'one person with two required roles fills one of them',
      {
        requirements: [
          { role: 'approver', count: 1 },
          { role: 'admin', count: 1 },
        ],
      },
      [approve('carol')],
      'pending',
      ['carol'],
      [{ role: 'admin', count: 1 }],
    ],
    [
      'carol is moved to admin so that bob can fill approver',
      {
        requirements: [
          { role: 'approver', count: 1 },
          { role: 'admin', count: 1 },
        ],
      },
      [approve('carol', 1), approve('bob', 2)],
      'approved',
      ['carol', 'bob'],
      [],
    ],
    ['an expired approval', {}, [approve('bob', 0)], 'pending', [], [{ role: 'approver', count: 1 }]],
    [
      'a rejection by an approver',
      {},
      [approve('carol', 1), reject('bob', 2)],
      'rejected',
      [],
      [{ role: 'approver', count: 1 }],
    ],
    [
      'a rejection withdrawn by a later approval',
      {},
      [reject('bob', 1), approve('bob', 2)],
      'approved',
      ['bob'],
      [],
    ],
    [
      'a rejection by someone who may not approve',
      {},
      [reject('dave'), approve('bob')],
      'approved',
      ['bob'],
      [],
    ],
  ];
  it.each(table)('%s', (name, overrides, decisions, state, approvedBy, missing) => {
    const now = name === 'an expired approval' ? 25 * HOUR : 10;
    const result = evaluateApprovals({ ...policy, ...overrides }, decisions, now);
    expect(result.state).toBe(state);
    expect(result.approvedBy).toEqual(approvedBy);
    expect(result.missing).toEqual(missing);
  });

  it('says why a decision does not count', () => {
    const result = evaluateApprovals(
      policy,
      [approve('alice'), approve('dave'), approve('mallory'), approve('bob', 0)],
      25 * HOUR,
    );
    expect(result.ignored.map((i) => i.reason)).toEqual([
      'alice has no role approver in production',
      'dave has no role approver in production',
      'mallory is not in the team of slipway.yml',
      'approval expired (older than 24h)',
    ]);
  });

  it('keeps the comment of a rejection', () => {
    const result = evaluateApprovals(policy, [reject('bob', 1, 'the migration is not reviewed')], 2);
    expect(result.rejectedBy).toEqual({ person: 'bob', comment: 'the migration is not reviewed' });
  });
});

describe('checkApprover', () => {
  it('refuses self-approval with the reason', () => {
    expect(checkApprover({ ...policy, requestedBy: 'bob' }, 'bob@desk')).toEqual({
      ok: false,
      reason: 'bob started this deployment and may not approve it',
    });
  });
  it('names the roles that count', () => {
    expect(checkApprover(policy, 'carol')).toEqual({ ok: true, person: 'carol', roles: ['approver'] });
  });
  it('finds people by name or by the user part of user@host', () => {
    expect(findPerson(team, 'carol')).toBe('carol');
    expect(findPerson(team, 'carol@ci-runner')).toBe('carol');
    expect(findPerson(team, 'zed@carol')).toBeNull();
  });
  it('describes requirements', () => {
    expect(
      describeRequirements([
        { role: 'approver', count: 1 },
        { role: 'admin', count: 2 },
      ]),
    ).toBe('1 approver and 2 admins');
  });
});
