import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SlipwayError } from '../../core/errors.js';
import { serveControlSocket, type ControlServer, type Handlers } from '../control-server.js';
import type { RouterMethods } from './route-protocol.js';
import { connectRouterPort } from './router-client.js';

// The agent's client of the router process, against a real socket served by a router process of an older bundle
// (it outlives agent upgrades): a method that router does not know is reported as such, not as a bare error.

describe('connectRouterPort', () => {
  const dirs: string[] = [];
  const servers: ControlServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** A router process that knows only `ping`. */
  async function olderRouter(): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'sw-router-client-'));
    dirs.push(dir);
    const socket = join(dir, 'router.sock');
    const handlers = {
      ping: () => Promise.resolve({ pid: 1, startedAtMs: 0 }),
    } as unknown as Handlers<RouterMethods>;
    servers.push(await serveControlSocket<RouterMethods>(socket, handlers, 'router process'));
    return socket;
  }

  it('says that the router process predates a method it does not know', async () => {
    const port = connectRouterPort(await olderRouter());
    try {
      expect(await port.ping({})).toEqual({ pid: 1, startedAtMs: 0 });
      const asked = port.renewCertificate({ key: 'shop@production', revoke: false });
      await expect(asked).rejects.toThrow(SlipwayError);
      await expect(asked).rejects.toThrow(/router process of this host predates renewCertificate/);
      await expect(asked).rejects.toMatchObject({ hint: expect.stringMatching(/restarts/) as unknown });
    } finally {
      port.close();
    }
  });
});
