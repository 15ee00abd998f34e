import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/index.js';
import { getVerificationGate } from '../../src/verify/verification-gate.js';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';

// Staging verification with real processes: the example app deployed by the real CLI, verified by the real
// suite (HTTP smoke requests, an autocannon load run, security probes, the previous release's smoke suite and a
// command), results read back from the real store through the gate the pipeline calls.

interface Knobs {
  env?: Record<string, string>;
  greeting?: string;
  previousSmoke?: boolean;
  allowedPorts?: number[];
  onFailure?: 'keep' | 'rollback';
}

function stagingConfig(port: number, k: Knobs = {}): string {
  const env = Object.entries({ GREETING: k.greeting ?? 'Hello', ...k.env })
    .map(([name, value]) => `  ${name}: "${value}"`)
    .join('\n');
  return `app: hello
build:
  command: node build.js
run:
  command: node server.js
  stopTimeout: 5s
healthCheck:
  path: /healthz
  interval: 200ms
  timeout: 1s
  healthyThreshold: 2
  startTimeout: 10s
env:
${env}
environments:
  staging:
    publicPort: ${port}
    bindAddress: 127.0.0.1
    strategy: { kind: blue-green, keepWarm: 5m, drainTimeout: 2s }
    verify:
      onFailure: ${k.onFailure ?? 'keep'}
      smoke:
        - path: /
          expect:
            status: 200
            body: ["${k.greeting ?? 'Hello'} from hello {{release}}"]
            headers:
              x-release: "{{release}}"
        - name: version API
          path: /api/version
          expect:
            json:
              release: "{{release}}"
            within: 2s
      performance:
        connections: 4
        duration: 2s
        paths: [/, /api/version]
        maxThroughputDrop: "90%"
        maxP95Increase: "200%"
        maxP99Increase: "400%"
        minLatencyIncrease: 200ms
      security:
        headers:
          X-Content-Type-Options: nosniff
${k.allowedPorts ? `        allowedPorts: [${k.allowedPorts.join(', ')}]\n` : ''}      compatibility:
        previousSmoke: ${k.previousSmoke ?? true}
        commands:
          - name: version matches
            run: >-
              node -e "fetch(process.env.BASE_URL + '/api/version').then((r) => r.json()).then((j) => process.exit(j.release === process.env.RELEASE ? 0 : 1))"
            timeout: 10s
`;
}

describe('staging verification', () => {
  let project: TestProject;
  const gate = async (release: string) => {
    const store = await openSqliteStore(join(project.dir, '.slipway', 'slipway.db'));
    try {
      const latest = await store.latestVerification({ app: 'hello', environment: 'staging', release });
      return {
        gate: await getVerificationGate(store, { app: 'hello', environment: 'staging', release }),
        latest,
      };
    } finally {
      await store.close();
    }
  };
  const body = async () => (await fetch(`${project.url}/`)).text();
  const write = (k: Knobs = {}) => project.writeConfig(stagingConfig(project.port, k));

  beforeAll(async () => {
    project = await createTestProject();
    write();
  });
  afterAll(async () => project.dispose());

  it('a good release passes every check; the result is stored, ledgered, shown, and opens the gate', async () => {
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    const plan = expectOk(await project.cli(['plan', 'staging', '--release', '1.0.0'])).stdout;
    expect(plan).toContain('verify 1.0.0 in staging at http://127.0.0.1:');
    const deploy = expectOk(await project.cli(['deploy', 'staging', '--release', '1.0.0']));
    expect(deploy.stdout).toMatch(/verify 1\.0\.0 in staging/);

    const { gate: g, latest } = await gate('1.0.0');
    expect(g).toEqual({ status: 'passed', failures: [] });
    expect(latest?.checks.map((c) => `${c.kind} ${c.name} ${c.passed}`)).toEqual([
      'smoke GET / true',
      'smoke version API true',
      'security headers on / true',
      'security /.git/ true',
      'security /.git/config true',
      'security /.env true',
      'security /.svn/ true',
      'security /.DS_Store true',
      'compatibility version matches true',
      'performance load /, /api/version true',
    ]);
    expect(latest?.performance?.requests).toBeGreaterThan(0);
    expect(latest?.deploymentId).toMatch(/.+/);

    const history = expectOk(await project.cli(['history', 'staging'])).stdout;
    expect(history).toMatch(
      /verify\.passed\s+staging\s+verification of 1\.0\.0 in staging passed \(10 checks\)/,
    );
    const status = expectOk(await project.cli(['status', 'staging'])).stdout;
    expect(status).toMatch(/verification: 1\.0\.0 passed \(10 checks\)/);
  });

  it('a release whose p95 latency is clearly worse fails the performance check, keeps serving, and is blocked', async () => {
    write({ env: { EXTRA_LATENCY_MS: '400' } });
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0']));
    const deploy = await project.cli(['deploy', 'staging', '--release', '2.0.0']);
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toMatch(
      /verification of 2\.0\.0 in staging failed: performance load \/, \/api\/version: .*p95 \d+ms rose from \d+ms .* against 1\.0\.0/,
    );
    expect(deploy.stderr).toContain(
      '2.0.0 keeps serving staging for inspection and is blocked from promotion',
    );
    // Left running for inspection: no switch back.
    expect(await body()).toContain('Hello from hello 2.0.0');

    const { gate: g, latest } = await gate('2.0.0');
    expect(g.status).toBe('failed');
    expect(g.failures).toHaveLength(1);
    expect(g.failures[0]).toMatch(/^performance load/);
    expect(latest?.checks.find((c) => c.kind === 'performance')?.measured.baselineRelease).toBe('1.0.0');
    // The earlier release's gate is untouched.
    expect((await gate('1.0.0')).gate.status).toBe('passed');

    const history = expectOk(await project.cli(['history', 'staging'])).stdout;
    expect(history).toMatch(
      /verify\.failed\s+staging\s+verification of 2\.0\.0 in staging failed: performance/,
    );
    expect(history).toMatch(/deploy\.failed/);
    const status = expectOk(await project.cli(['status', 'staging'])).stdout;
    expect(status).toMatch(/verification: 2\.0\.0 failed .*blocked from promotion\n\s+✖ performance load/);
  });

  it('a release that serves /.env fails the security check; its baseline is the last passing release', async () => {
    write({ env: { SERVE_DOTENV: '1' } });
    expectOk(await project.cli(['release', 'create', '--version', '3.0.0']));
    const deploy = await project.cli(['deploy', 'staging', '--release', '3.0.0']);
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain('security /.env: served with 200');
    const { gate: g, latest } = await gate('3.0.0');
    expect(g.status).toBe('failed');
    expect(g.failures).toContain('security /.env: served with 200');
    expect(g.failures.join('\n')).not.toContain('/.git/');
    // 2.0.0 failed, so the performance baseline skips it.
    expect(latest?.checks.find((c) => c.kind === 'performance')?.measured.baselineRelease).toBe('1.0.0');
  });

  it("the previous release's smoke suite runs against the new one; slipway verify re-runs the suite on demand", async () => {
    write({ greeting: 'Hi' });
    expectOk(await project.cli(['release', 'create', '--version', '4.0.0']));
    const deploy = await project.cli(['deploy', 'staging', '--release', '4.0.0']);
    expect(deploy.code).toBe(1);
    // 3.0.0's clients expect "Hello from …": the new greeting breaks them. 4.0.0's own smoke suite passes.
    expect(deploy.stderr).toContain('compatibility 3.0.0 smoke: GET /: body lacks "Hello from hello 4.0.0"');
    expect(deploy.stderr).not.toMatch(/failed: smoke/);
    expect((await gate('4.0.0')).gate.status).toBe('failed');

    // The team decides the greeting change is fine for old clients: without that check it passes.
    write({ greeting: 'Hi', previousSmoke: false });
    const again = expectOk(await project.cli(['verify', 'staging']));
    expect(again.stdout).toContain('verification of 4.0.0 in staging');
    expect(again.stdout).toContain('✔ 4.0.0 passed verification in staging');
    const { gate: g, latest } = await gate('4.0.0');
    expect(g).toEqual({ status: 'passed', failures: [] });
    expect(latest?.deploymentId).toBe(null);

    const wrong = await project.cli(['verify', 'staging', '--release', '1.0.0']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('1.0.0 is not serving staging (4.0.0 is)');
  });

  it('with onFailure: rollback a failed verification puts the previous release back', async () => {
    write({ greeting: 'Hi', previousSmoke: false, env: { SERVE_DOTENV: '1' }, onFailure: 'rollback' });
    expectOk(await project.cli(['release', 'create', '--version', '5.0.0']));
    const deploy = await project.cli(['deploy', 'staging', '--release', '5.0.0']);
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain(
      'verification of 5.0.0 in staging failed: security /.env: served with 200',
    );
    expect(deploy.stderr).toContain('4.0.0 still serves');
    expect(await body()).toContain('Hi from hello 4.0.0');
    expect((await gate('5.0.0')).gate.status).toBe('failed');
    expect(expectOk(await project.cli(['history', 'staging'])).stdout).toMatch(
      /deploy\.rolled-back\s+staging/,
    );
  });

  it('a port listening beyond loopback that is not allowed fails the security check', async () => {
    // A listener of our own, on every address (no traffic is sent to it).
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    try {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      write({ greeting: 'Hi', previousSmoke: false, allowedPorts: [22] });
      const result = await project.cli(['verify', 'staging']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(
          `security ports on local: listening beyond the allowed ports \\(22, ${project.port}\\): .*port ${port} \\(`,
        ),
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
