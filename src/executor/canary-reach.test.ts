import { describe, expect, it } from 'vitest';
import type { CanaryWatch } from '../plan/steps.js';
import { analysisPlan } from '../plan/test-fixtures.js';
import type { CanaryEndpoint } from './canary-endpoints.js';
import { CanaryReach } from './canary-reach.js';

// Which router the checks are sent to, seen by a real command check (sh) through the CANARY_URL it gets.

function watch(hosts: string[]): CanaryWatch {
  return {
    app: 'hello',
    hosts,
    canary: { release: '2.0.0', targetId: 'hello-2.0.0-new' },
    stable: { release: '1.0.0', targetId: 'hello-1.0.0-old' },
    publicPort: 8420,
    header: 'X-Slipway-Canary',
    analysis: analysisPlan({
      checks: [{ kind: 'command', name: 'where', run: 'echo "$CANARY_URL"; exit 2', timeout: '10s' }],
    }),
  };
}

const web1: CanaryEndpoint = { kind: 'reachable', host: 'web1', baseUrl: 'http://10.0.0.11:8420' };
const web2: CanaryEndpoint = { kind: 'reachable', host: 'web2', baseUrl: 'http://10.0.0.12:8420' };
const web3: CanaryEndpoint = {
  kind: 'unreachable',
  host: 'web3',
  reason: 'the router of web3 listens on 127.0.0.1 only',
};

/** The URL each of `n` check runs was given (the command prints it; exit 2 keeps it inconclusive). */
async function urls(reach: CanaryReach, n: number): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < n; i++) {
    const [result] = await reach.runChecks();
    seen.push(/http:\/\/[\d.:]+/.exec(result?.detail ?? '')?.[0] ?? String(result?.detail));
  }
  return seen;
}

describe('CanaryReach', () => {
  it('sends checks round robin to the routers of the hosts that serve the canary, skipping unreachable ones', async () => {
    const reach = new CanaryReach(watch(['web1', 'web2', 'web3']), [web1, web2, web3]);
    expect(await urls(reach, 4)).toEqual([
      'http://10.0.0.11:8420',
      'http://10.0.0.12:8420',
      'http://10.0.0.11:8420',
      'http://10.0.0.12:8420',
    ]);
  });

  it('a host-batched canary: only the hosts already taken over, once one is', async () => {
    const reach = new CanaryReach(watch(['web1', 'web2']), [web1, web2]);
    reach.markLive('web2');
    expect(await urls(reach, 2)).toEqual(['http://10.0.0.12:8420', 'http://10.0.0.12:8420']);
  });

  it('says plainly when no canary router can be reached, instead of asking this machine', async () => {
    const reach = new CanaryReach(watch(['web3']), [web3]);
    expect(await reach.runChecks()).toEqual([
      {
        name: 'where',
        status: 'inconclusive',
        detail: 'cannot reach the canary: the router of web3 listens on 127.0.0.1 only',
      },
    ]);
  });

  it('without endpoints (all hosts local): the router on this machine', async () => {
    expect(await urls(new CanaryReach(watch(['local'])), 1)).toEqual(['http://127.0.0.1:8420']);
  });
});
