import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFUSED_PORT, createTestProject, expectOk, spawnCli, type TestProject } from '../helpers/project.js';
import { waitFor } from '../helpers/wait-for.js';

// Notifications from real deployments to a real local HTTP receiver: the generic JSON format, the Slack
// format routed by a stakeholder's role, and a channel whose receiver is down.

interface Received {
  path: string;
  body: Record<string, unknown>;
}

async function startReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(text) as Record<string, unknown> });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, received };
}

const SLACK_TOKEN = 'T000-slack-token-b9c2';
const DOWN_TOKEN = 'down-hook-token-77aa';

describe('notifications', () => {
  let project: TestProject;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let env: Record<string, string>;

  const jsonOf = (deploymentId: string): Array<Record<string, unknown>> =>
    receiver.received
      .filter((r) => r.path === '/json' && r.body.deploymentId === deploymentId)
      .map((r) => r.body);
  const slack = (): Array<Record<string, unknown>> =>
    receiver.received.filter((r) => r.path.startsWith('/slack')).map((r) => r.body);

  async function deploy(version: string, extraEnv: Record<string, string> = {}) {
    project.writeConfig(configWith(extraEnv));
    expectOk(await project.cli(['release', 'create', '--version', version]));
    const result = await project.cli(['deploy', 'production', '--release', version], env);
    const deploymentId = /deployment (d[0-9a-z]+)/.exec(result.stdout)?.[1] ?? '';
    return { result, deploymentId };
  }

  let configWith: (extraEnv: Record<string, string>, strategy?: string) => string;

  beforeAll(async () => {
    project = await createTestProject();
    receiver = await startReceiver();
    const downPort = REFUSED_PORT; // nothing listens there
    env = {
      SLIPWAY_SECRET_SLACK_URL: `${receiver.url}/slack/${SLACK_TOKEN}`,
      SLIPWAY_SECRET_DOWN_URL: `http://127.0.0.1:${downPort}/${DOWN_TOKEN}`,
    };
    configWith = (extraEnv, strategy) =>
      `${project.config({ env: extraEnv, healthStartTimeout: '2s', ...(strategy ? { strategy } : {}) })}notifications:
  timeout: 2s
  retries: 1
  channels:
    - { name: everything, url: ${receiver.url}/json, format: json }
    - { name: ops-slack, urlSecret: SLACK_URL, format: slack }
    - { name: down, urlSecret: DOWN_URL, events: [started] }
  stakeholders:
    - { name: alice, roles: [oncall], channels: [ops-slack], mention: "<@U0ALICE>" }
`;
  });
  afterAll(async () => {
    await project.dispose();
    await new Promise((r) => receiver.server.close(r));
  });

  it('sends started and succeeded once each as generic JSON, and nothing the roles did not ask for', async () => {
    const { result, deploymentId } = await deploy('1.0.0');
    expectOk(result);
    const bodies = jsonOf(deploymentId);
    expect(bodies.map((b) => b.event)).toEqual(['started', 'succeeded']);
    expect(bodies[1]).toMatchObject({
      event: 'succeeded',
      app: 'hello',
      environment: 'production',
      release: '1.0.0',
      deploymentId,
      ledger: { kind: 'deploy.succeeded' },
    });
    expect(typeof bodies[1]?.actor).toBe('string');
    expect(new Date(String(bodies[1]?.time)).getTime()).toBeGreaterThan(0);
    // alice is on call: a successful deploy is not her business.
    expect(slack()).toHaveLength(0);
  });

  it('a receiver that is down does not fail the deploy; the failure is in the ledger without the secret URL', async () => {
    const events = JSON.parse(
      expectOk(await project.cli(['history', '--json', '-n', '200'])).stdout,
    ) as Array<{
      kind: string;
      message: string;
      data: { channel?: string };
    }>;
    const failed = events.filter((e) => e.kind === 'notification.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.data.channel).toBe('down');
    expect(failed[0]?.message).toContain('after 2 attempt(s)');
    const whole = JSON.stringify(events);
    expect(whole).not.toContain(DOWN_TOKEN);
    expect(whole).not.toContain(SLACK_TOKEN);
  });

  it('a rolled-back deploy reaches the on-call stakeholder as a Slack message', async () => {
    const { result, deploymentId } = await deploy('2.0.0-unhealthy', { FAIL_HEALTH: '1' });
    expect(result.code).toBe(1);
    expect(jsonOf(deploymentId).map((b) => b.event)).toEqual(['started', 'rolled-back']);
    const messages = slack();
    expect(messages).toHaveLength(1);
    const [message] = messages as Array<{ text: string; blocks: Array<{ type: string }> }>;
    expect(message?.text).toContain('rolled-back');
    expect(message?.text).toContain('2.0.0-unhealthy');
    expect(message?.text).toContain('<@U0ALICE>');
    expect(message?.blocks.map((b) => b.type)).toEqual(['section', 'context']);
  });

  it('a manual rollback is announced as rolled-back too', async () => {
    expectOk((await deploy('3.0.0')).result);
    const before = slack().length;
    expectOk(await project.cli(['rollback', 'production'], env));
    const rolledBack = receiver.received.filter(
      (r) => r.path === '/json' && r.body.event === 'rolled-back' && r.body.release === '1.0.0',
    );
    expect(rolledBack).toHaveLength(1);
    expect(slack()).toHaveLength(before + 1);
  });

  it('a canary the analysis cannot call waits at the promotion gate and says so; a manual promote overrides it, announced too', async () => {
    // No traffic and a minimum sample no quiet canary reaches: the verdict stays inconclusive, so the canary
    // must not be promoted after its last step on its own.
    const strategy = `      kind: canary
      steps:
        - setWeight: 10
        - pause: 300ms
      analysis:
        interval: 200ms
        minRequests: 1000
        tripwire: false
`;
    project.writeConfig(configWith({}, strategy));
    expectOk(await project.cli(['release', 'create', '--version', '4.0.0']));
    const deploy = spawnCli(project, ['deploy', 'production', '--release', '4.0.0'], env);
    const waiting = await waitFor('the canary-inconclusive notification', () =>
      Promise.resolve(
        receiver.received.find((r) => r.path === '/json' && r.body.event === 'canary-inconclusive')?.body,
      ),
    );
    expect(waiting).toMatchObject({
      release: '4.0.0',
      environment: 'production',
      ledger: { kind: 'canary.inconclusive' },
    });
    expect(String(waiting.message)).toMatch(
      /^canary of 4\.0\.0 inconclusive, waiting for slipway promote \(analysis (inconclusive|has no verdict yet)/,
    );
    // The deploy's own output says why it waits.
    await waitFor('the deploy to say why it waits', () =>
      Promise.resolve(
        /wait {4}promotion gate on control-plane: analysis .*; waiting for slipway promote/.test(
          deploy.stdout(),
        )
          ? true
          : undefined,
      ),
    );
    // Still waiting: the canary has not taken over, and status says what the deployment waits for.
    expect(
      await (await fetch(`${project.url}/`, { headers: { cookie: 'slipway_canary=99' } })).text(),
    ).toContain('hello 1.0.0');
    expect(expectOk(await project.cli(['status', 'production'])).stdout).toMatch(
      /now: promotion gate on control-plane \(stage "promotion gate".*\): analysis (inconclusive|has no verdict yet).*; waiting for slipway promote/,
    );

    expectOk(await project.cli(['promote', 'production']));
    expect(await deploy.done).toBe(0);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 4.0.0');
    const deploymentId = String(waiting.deploymentId);
    expect(jsonOf(deploymentId).map((b) => b.event)).toEqual([
      'started',
      'canary-inconclusive',
      'canary-overridden',
      'succeeded',
    ]);
    const events = JSON.parse(
      expectOk(await project.cli(['history', '--json', '-n', '50'])).stdout,
    ) as Array<{ kind: string; message: string; deploymentId: string | null }>;
    const override = events.find((e) => e.kind === 'canary.overridden' && e.deploymentId === deploymentId);
    expect(override?.message).toMatch(/^promotion of 4\.0\.0 by \S+ overrides the analysis \(analysis /);
  });
});
