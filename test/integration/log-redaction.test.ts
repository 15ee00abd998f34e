import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';

// A secret whose value spans lines (a PEM key, with CRLF line ends) written by a real target (examples/hello with
// LOG_API_TOKEN=1), read back as users read it: `slipway logs`, and the server's logs route with a viewer's token.
// Both go through the agent's logs stream, which redacts each line of the key.

const KEY_LINES = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
  'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
  'Zw==',
  '-----END PRIVATE KEY-----',
];
const KEY = `${KEY_LINES.join('\r\n')}\r\n`;

describe('a secret that spans lines, in the logs', () => {
  let project: TestProject;
  let server: TestServer;

  beforeAll(async () => {
    project = await createTestProject();
    project.writeConfig(project.config({ secrets: ['API_TOKEN'], env: { LOG_API_TOKEN: '1' } }));
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(
      await project.cli(['deploy', 'production', '--release', '1.0.0'], { SLIPWAY_SECRET_API_TOKEN: KEY }),
    );
    server = await startTestServer(project);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await project?.dispose();
  });

  it('shows no line of it in `slipway logs`', async () => {
    const printed = await waitFor('the key in the logs', async () => {
      const logs = expectOk(await project.cli(['logs', 'production']));
      return logs.stdout.includes('API_TOKEN at start') ? logs.stdout : undefined;
    });
    expect(printed).toContain('API_TOKEN at start: [redacted]');
    for (const line of KEY_LINES) expect(printed).not.toContain(line);
  });

  it('shows no line of it in GET /api/v1/environments/:env/logs to a viewer', async () => {
    const viewer = await server.token('viewer', ['viewer']);
    const lines = await waitFor('the key in the logs', async () => {
      const response = await server.fetch('/api/v1/environments/production/logs?lines=50', viewer);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { lines: Array<{ stream: string; line: string }> };
      const out = body.lines.filter((l) => l.stream === 'out').map((l) => l.line);
      const at = out.findIndex((l) => l.startsWith('API_TOKEN at start'));
      return at < 0 ? undefined : out.slice(at, at + KEY_LINES.length);
    });
    // The key's lines, one log line each (their CR kept), each one a marker.
    expect(lines).toEqual([
      'API_TOKEN at start: [redacted]\r',
      ...KEY_LINES.slice(1).map(() => '[redacted]\r'),
    ]);
  });
});
