import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';

// An agent from before the router process kept the routes in its own state.json and served them itself. The
// first agent of this version hands them to the router process once, with the addresses of their targets, and
// the routes are served again without a deploy.

interface StateFile {
  targets: Array<{ spec: { id: string; release: string } }>;
  routes?: unknown;
}

describe('an agent home written by an agent that served the routes itself', () => {
  let project: TestProject;
  const home = (): string => join(project.dir, '.slipway', 'agent');

  beforeAll(async () => {
    project = await createTestProject();
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
  });
  afterAll(async () => project.dispose());

  it('moves its routes into the router process, which serves them again', async () => {
    // Everything stops but the target, as when the old agent stopped for its upgrade.
    expectOk(await project.cli(['agent', 'stop']));
    const state = JSON.parse(readFileSync(join(home(), 'state.json'), 'utf8')) as StateFile;
    const target = state.targets.find((t) => t.spec.release === '1.0.0');
    if (!target) throw new Error('no 1.0.0 target in the state file');
    rmSync(join(home(), 'routes.json'));
    const legacy = {
      ...state,
      routes: [{ app: 'hello', publicPort: project.port, bindAddress: '127.0.0.1', active: target.spec.id }],
      edges: [],
    };
    writeFileSync(join(home(), 'state.json'), JSON.stringify(legacy));
    await expect(fetch(`${project.url}/`)).rejects.toThrow(); // nothing serves the port now

    expectOk(await project.cli(['agent', 'start'])); // starts the keeper, the router process, the agent
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 1.0.0');
    const routes = JSON.parse(readFileSync(join(home(), 'routes.json'), 'utf8')) as {
      routes: Array<{ app: string; active: { id: string } | null }>;
    };
    expect(routes.routes.map((r) => [r.app, r.active?.id])).toEqual([['hello', target.spec.id]]);
    // The agent's own state stops carrying them once it saves.
    await expect
      .poll(() => (JSON.parse(readFileSync(join(home(), 'state.json'), 'utf8')) as StateFile).routes, {
        timeout: 5_000,
      })
      .toBeUndefined();
    expect(existsSync(join(home(), 'keeper.pid'))).toBe(true);
  });
});
