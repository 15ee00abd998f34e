import type { Browser } from 'playwright-core';
import type { DeploymentDetailView, JobRecord } from '../../src/server/api-types.js';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { launchChromium } from './chromium.js';

export const PASSWORD = 'correct horse battery staple';

export interface DashboardFixture {
  project: TestProject;
  /** The running server (a new one after `restartServer`), always on the same URL. */
  readonly server: TestServer;
  browser: Browser;
  /** Stops the server (SIGTERM), runs `meanwhile`, and starts a new one on the same address. */
  restartServer(meanwhile: () => Promise<void>): Promise<void>;
  /** A JSON call to the API with a bearer token; throws on an error answer. */
  call<T>(token: string, method: string, path: string, body?: unknown): Promise<T>;
  /** Polls until `probe` gives a truthy value (45 s at most). */
  until<T>(what: string, probe: () => Promise<T | undefined | null | false>): Promise<T>;
  /** Starts a deploy through the API, as CI would, and returns its deployment id once the job has one. */
  deployThroughApi(token: string, environment: string, release: string): Promise<string>;
  phaseOf(token: string, deploymentId: string): Promise<string>;
  dispose(): Promise<void>;
}

/**
 * A copy of examples/hello with `slipway.yml` as given, its releases created, dashboard users added with the CLI
 * (`slipway user add`, in the project's store), a real `slipway server` on it, and Debian's chromium.
 */
export async function startDashboardFixture(options: {
  config: (project: TestProject) => string;
  releases: string[];
  users: Record<string, string>;
  /** Runs before the server starts (e.g. a first deploy with the CLI). */
  prepare?: (project: TestProject) => Promise<void>;
}): Promise<DashboardFixture> {
  const project = await createTestProject();
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  try {
    project.writeConfig(options.config(project));
    for (const version of options.releases)
      expectOk(await project.cli(['release', 'create', '--version', version]));
    for (const [name, role] of Object.entries(options.users))
      expectOk(await project.cli(['user', 'add', name, '--role', role], { SLIPWAY_PASSWORD: PASSWORD }));
    await options.prepare?.(project);
    server = await startTestServer(project);
    let running = server;
    const baseUrl = running.url;
    browser = await launchChromium();

    const call = async <T>(token: string, method: string, path: string, body?: unknown): Promise<T> => {
      const response = await fetch(`${baseUrl}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return JSON.parse(text) as T;
    };
    const until = async <T>(what: string, probe: () => Promise<T | undefined | null | false>): Promise<T> => {
      const deadline = Date.now() + 45_000;
      for (;;) {
        const value = await probe();
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${running.output()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const started = browser;
    return {
      project,
      get server() {
        return running;
      },
      browser: started,
      restartServer: async (meanwhile) => {
        await running.stop();
        await meanwhile();
        // The later --listen wins: the new server takes the old one's address, where the pages point.
        const restarted = await startTestServer(project, { args: ['--listen', new URL(baseUrl).host] });
        running = {
          ...restarted,
          url: baseUrl,
          fetch: (path, token, init = {}) =>
            fetch(`${baseUrl}${path}`, {
              ...init,
              headers: {
                ...(token ? { authorization: `Bearer ${token}` } : {}),
                ...(init.headers as object),
              },
            }),
        };
        server = running;
      },
      call,
      until,
      deployThroughApi: async (token, environment, release) => {
        const job = await call<JobRecord>(token, 'POST', `/environments/${environment}/deployments`, {
          release,
          reason: `browser test ${release}`,
        });
        return until(`the deployment of job ${job.id}`, async () => {
          const current = await call<JobRecord>(token, 'GET', `/jobs/${job.id}`);
          if (current.state === 'failed') throw new Error(`job failed: ${current.error}`);
          return current.deploymentId;
        });
      },
      phaseOf: async (token, id) =>
        (await call<DeploymentDetailView>(token, 'GET', `/deployments/${id}`)).deployment.phase,
      dispose: async () => {
        await started.close();
        await running.stop();
        await project.dispose();
      },
    };
  } catch (err) {
    await browser?.close();
    await server?.stop();
    await project.dispose();
    throw err;
  }
}
