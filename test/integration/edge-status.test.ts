import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, expectOk, freePort, type TestProject } from '../helpers/project.js';
import { waitFor } from '../helpers/wait-for.js';

// An environment behind an edge (both on this machine): `slipway status` lists the edge and its host with its
// state; when the host's health check fails the edge ejects it, and when it passes again the host is back with
// no command run (status and history only read); both reach the ledger.

interface EdgeMember {
  id: string;
  state: string;
  cause: string | null;
  why: string | null;
  inFlight: number;
  answerTimeoutMs: number | null;
}
interface StatusJson {
  edge: {
    host: string;
    publicPort: number;
    inRotation: number;
    error: string | null;
    members: EdgeMember[];
  } | null;
}

describe('slipway status shows the edge', () => {
  let project: TestProject;
  let edgePort: number;
  let failFile: string;

  beforeAll(async () => {
    project = await createTestProject();
    edgePort = await freePort();
    failFile = join(project.dir, 'health-fails');
    project.writeConfig(
      project.config({
        env: { HEALTH_FAIL_FILE: failFile },
        environmentExtra: `    edge: { host: local, publicPort: ${edgePort}, bindAddress: 127.0.0.1, answerTimeout: { min: 700ms } }`,
      }),
    );
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
  });
  afterAll(async () => {
    if (existsSync(failFile)) rmSync(failFile);
    await project.dispose();
  });

  const edgeStatus = async () => {
    const [status] = JSON.parse(
      expectOk(await project.cli(['status', 'production', '--json'])).stdout,
    ) as StatusJson[];
    if (!status?.edge) throw new Error('no edge in the status');
    return status.edge;
  };

  it('lists the edge and its host in rotation, with the configured bound, in text and JSON', async () => {
    // On a first deploy the edge may check the host before its router serves: it is in rotation once checked.
    const edge = await waitFor('the host in rotation', async () => {
      const e = await edgeStatus();
      return e.members[0]?.state === 'in-rotation' ? e : undefined;
    });
    expect(await (await fetch(`http://127.0.0.1:${edgePort}/`)).text()).toContain('Hello');
    expect(edge).toMatchObject({ host: 'local', publicPort: edgePort, inRotation: 1, error: null });
    expect(edge.members.map((m) => [m.id, m.state, m.cause])).toEqual([['local', 'in-rotation', null]]);
    // The environment's edge settings reached the agent: with fast answers the bound is the configured floor.
    expect(edge.members[0]?.answerTimeoutMs).toBe(700);
    const text = expectOk(await project.cli(['status', 'production'])).stdout;
    expect(text).toContain(`edge on local, 127.0.0.1:${edgePort}  1 of 1 hosts in rotation`);
    expect(text).toMatch(new RegExp(`local 127\\.0\\.0\\.1:${project.port} {2}in rotation {2}in flight 0`));
  });

  it('shows a host ejected by its checks, then back by itself, and ledgers both', async () => {
    writeFileSync(failFile, '');
    const ejected = await waitFor('the host ejected', async () => {
      const m = (await edgeStatus()).members[0];
      return m?.state === 'ejected' ? m : undefined;
    });
    expect(ejected.cause).toBe('failed-checks');
    expect(ejected.why).toBe(
      'failed health checks: GET /healthz answered 503; back by itself after 2 passing checks',
    );
    expect(expectOk(await project.cli(['status', 'production'])).stdout).toMatch(
      /local 127\.0\.0\.1:\d+ {2}ejected \S+ ago: failed health checks: GET \/healthz answered 503/,
    );

    rmSync(failFile);
    await waitFor('the host back in rotation', async () =>
      (await edgeStatus()).members[0]?.state === 'in-rotation' ? true : undefined,
    );
    const history = JSON.parse(
      expectOk(await project.cli(['history', 'production', '--json', '-n', '50'])).stdout,
    ) as Array<{ kind: string; message: string; actor: string }>;
    // The newest two (a first deploy may have ejected the host before its router served, and let it back in).
    const edgeEvents = history
      .filter((e) => e.kind.startsWith('edge.member-'))
      .slice(0, 2)
      .reverse();
    expect(edgeEvents.map((e) => [e.kind, e.actor])).toEqual([
      ['edge.member-ejected', 'agent@local'],
      ['edge.member-readmitted', 'agent@local'],
    ]);
    expect(edgeEvents[0]?.message).toBe(
      'edge of hello: upstream local ejected (failed health checks: GET /healthz answered 503)',
    );
  });
});
