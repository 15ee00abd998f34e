import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiToken, hashApiToken } from '../../src/server/auth/api-token.js';
import { parseGrant } from '../../src/server/auth/roles.js';
import { openStore } from '../../src/store/index.js';
import { createTestProject, type TestProject } from '../helpers/project.js';
import { startTestServer, storeLocationOf, type TestServer } from '../helpers/server.js';

// The token routes over real HTTP: `slipway server` (dist/cli.js) on the test project's SQLite store. An expiry
// is bounded and checked before anything is stored; the listing answers whatever the store holds.

const D = 86_400_000;

describe('the token routes', () => {
  let project: TestProject;
  let server: TestServer;
  let admin: string;

  beforeAll(async () => {
    project = await createTestProject();
    server = await startTestServer(project);
    admin = await server.token('root', ['admin']);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await project?.dispose();
  });

  const postToken = (expiresIn: string) =>
    server.fetch('/api/v1/tokens', admin, {
      method: 'POST',
      body: JSON.stringify({ subject: 'ci', roles: ['viewer'], expiresIn }),
    });
  const listTokens = async () => {
    const response = await server.fetch('/api/v1/tokens', admin);
    expect(response.status).toBe(200);
    return (await response.json()) as Array<{ id: string; subject: string; expiresAtMs: number | null }>;
  };

  it('answers 400 naming expiresIn for a bad or too long expiry, and stores nothing', async () => {
    for (const [expiresIn, reason] of [
      ['99999999999d', 'longer than 3650d (10 years), the longest a token may live'],
      ['3651d', 'longer than 3650d (10 years), the longest a token may live'],
      ['0s', 'a token must live for some time (e.g. 90d)'],
      ['soon', 'not a duration (e.g. 90d, 12h or 30m)'],
    ] as const) {
      const response = await postToken(expiresIn);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: `expiresIn "${expiresIn}" is invalid: ${reason}` });
    }
    expect((await listTokens()).map((t) => t.subject)).toEqual(['root']);

    const created = await postToken('3650d');
    expect(created.status).toBe(201);
    const { record } = (await created.json()) as { record: { createdAtMs: number; expiresAtMs: number } };
    expect(record.expiresAtMs - record.createdAtMs).toBe(3650 * D);
  });

  it('lists a token whose stored expiry is past any date (stored before expiries were bounded)', async () => {
    const store = await openStore(storeLocationOf(project));
    const expiresAtMs = Date.UTC(2026, 0, 1) + 99_999_999_999 * D;
    try {
      await store.createApiToken({
        id: 'tok_far',
        subject: 'far',
        description: '',
        tokenHash: hashApiToken(generateApiToken()),
        grants: [parseGrant('viewer')],
        createdBy: 'test',
        createdAtMs: Date.UTC(2026, 0, 1),
        expiresAtMs,
      });
    } finally {
      await store.close();
    }
    expect(await listTokens()).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: 'tok_far', expiresAtMs })]),
    );
  });
});
