import { describe, expect, it } from 'vitest';
import { judgeFrontDoorPorts } from './judge-front-door.js';

const DOOR = { httpPort: 80, httpsPort: 443 };
const nginx = [
  { address: '0.0.0.0', port: 80, processes: [{ name: 'nginx', pid: 7 }] },
  { address: '0.0.0.0', port: 443, processes: [] },
];

describe('judgeFrontDoorPorts', () => {
  it('passes free ports, and ports the front door already has', () => {
    expect(judgeFrontDoorPorts(DOOR, [], { pid: 42, routes: [] })).toEqual([
      { check: 'front door', status: 'ok', detail: 'HTTP port 80 is free' },
      { check: 'front door', status: 'ok', detail: 'HTTPS port 443 is free' },
    ]);
    const open = {
      pid: 42,
      routerPid: 43,
      routes: [
        { app: 'shop@production', publicPort: 8080, frontDoor: DOOR },
        { app: 'blog@production', publicPort: 8081, frontDoor: DOOR },
      ],
    };
    expect(judgeFrontDoorPorts(DOOR, null, open).map((r) => [r.status, r.detail])).toEqual([
      ['ok', "HTTP port 80 is the front door's (shop@production, blog@production)"],
      ['ok', "HTTPS port 443 is the front door's (shop@production, blog@production)"],
    ]);
    // Held by our router process (e.g. before any route says so): ours.
    const held = [{ address: '*', port: 443, processes: [{ name: 'node', pid: 43 }] }];
    expect(judgeFrontDoorPorts(DOOR, held, { ...open, routes: [] })[1]).toEqual({
      check: 'front door',
      status: 'ok',
      detail: 'HTTPS port 443 is held by the slipway router process (pid 43)',
    });
  });

  it('fails a port another process holds, naming it when the host says who', () => {
    const rows = judgeFrontDoorPorts(DOOR, nginx, { pid: 42, routes: [] }, 'production');
    expect(rows).toEqual([
      {
        check: 'front door',
        status: 'fail',
        detail: 'HTTP port 80 is in use by nginx (pid 7)',
        hint: 'stop that process, or give environments.production.frontDoor other ports (httpPort, httpsPort)',
      },
      expect.objectContaining({ status: 'fail', detail: 'HTTPS port 443 is in use by another process' }),
    ]);
    // Without an agent, a listener is someone else's.
    expect(judgeFrontDoorPorts(DOOR, nginx, null)[0]?.status).toBe('fail');
    expect(judgeFrontDoorPorts(DOOR, null, null)[0]).toMatchObject({ status: 'warn' });
  });

  it("fails a port that is a route's public port, or the open door's other port", () => {
    const agent = {
      pid: 42,
      routes: [
        { app: 'blog', publicPort: 80 },
        { app: 'shop@production', publicPort: 8080, frontDoor: { httpPort: 443, httpsPort: 8443 } },
      ],
    };
    const [http, https] = judgeFrontDoorPorts(DOOR, [], agent, 'staging');
    expect(http).toMatchObject({
      status: 'fail',
      detail: "HTTP port 80 is the public port of blog's router on this host",
    });
    expect(https).toMatchObject({
      status: 'fail',
      detail: "HTTPS port 443 is the HTTP port of the host's front door (shop@production)",
      hint: "give environments.staging.frontDoor the open door's ports: httpPort 443, httpsPort 8443",
    });
  });
});
