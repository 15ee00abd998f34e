import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalHost } from './local-host.js';
import { AgentNotRunningError } from './ssh-errors.js';

// A command that only reads asks for the agent with `start: false`: an agent that is not running stays so. The
// agent bundle given here does not exist, so any attempt to start one shows as "the agent bundle is missing".

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function hostWithoutAgent(): LocalHost {
  const dir = mkdtempSync(join(tmpdir(), 'sw-lh-'));
  dirs.push(dir);
  return new LocalHost(join(dir, 'agent'), join(dir, 'no-such-bundle', 'agent.js'));
}

describe('LocalHost.agent', () => {
  it('with start: false, says no agent runs instead of starting one', async () => {
    const host = hostWithoutAgent();
    const asked = host.agent({ start: false });
    await expect(asked).rejects.toBeInstanceOf(AgentNotRunningError);
    await expect(asked).rejects.toThrow('no slipway agent is running on local');
  });

  it('starts one when asked plainly (here: tries to, and says what is missing)', async () => {
    await expect(hostWithoutAgent().agent()).rejects.toThrow('the agent bundle is missing');
  });

  it('a caller that may start it does not inherit the "not running" of a look under way', async () => {
    const host = hostWithoutAgent();
    const look = host.agent({ start: false });
    const start = host.agent();
    const lookAgain = host.agent({ start: false });
    await expect(look).rejects.toBeInstanceOf(AgentNotRunningError);
    await expect(start).rejects.toThrow('the agent bundle is missing');
    // Joined the opening under way, which starts one: its outcome, not a second look.
    await expect(lookAgain).rejects.toThrow('the agent bundle is missing');
  });
});
