import { describe, expect, it } from 'vitest';
import type { EdgeStatusView } from '../operations/derive-edge-status.js';
import { formatEdgeStatus } from './format-edge-status.js';

// Not a terminal under test: no colours.
describe('formatEdgeStatus', () => {
  it('prints the edge and a line per host', () => {
    const edge: EdgeStatusView = {
      host: 'local',
      bindAddress: '0.0.0.0',
      publicPort: 80,
      error: null,
      inRotation: 1,
      members: [
        {
          id: 'web1',
          address: '10.0.0.11',
          port: 8420,
          state: 'in-rotation',
          sinceMs: null,
          cause: null,
          why: null,
          health: 'healthy',
          inFlight: 4,
          answerTimeoutMs: 1_000,
        },
        {
          id: 'web2',
          address: '10.0.0.12',
          port: 8420,
          state: 'ejected',
          sinceMs: 40_000,
          cause: 'refused',
          why: 'connection refused: 10.0.0.12:8420 refused the connection; back by itself after 2 passing checks',
          health: 'unhealthy',
          inFlight: 0,
          answerTimeoutMs: null,
        },
      ],
    };
    expect(formatEdgeStatus(edge, 52_000)).toEqual([
      '  edge on local, 0.0.0.0:80  1 of 2 hosts in rotation',
      '    web1 10.0.0.11:8420  in rotation  in flight 4, answer bound 1s',
      '    web2 10.0.0.12:8420  ejected 12s ago: connection refused: 10.0.0.12:8420 refused the connection; back by itself after 2 passing checks  in flight 0',
    ]);
  });

  it('says why the edge could not be read', () => {
    expect(
      formatEdgeStatus(
        {
          host: 'edge1',
          bindAddress: '0.0.0.0',
          publicPort: 80,
          error: 'unreachable: x',
          members: [],
          inRotation: 0,
        },
        0,
      ),
    ).toEqual(['  edge on edge1, 0.0.0.0:80  unreachable: x']);
  });
});
