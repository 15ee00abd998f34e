import { describe, expect, it } from 'vitest';
import {
  deriveCpuPercent,
  parseLoadavg,
  parseMeminfo,
  parseNetDev,
  parseProcStat,
  parseVmRssBytes,
} from './host-metrics.js';

describe('host metrics parsers', () => {
  it('reads the aggregate cpu line and derives the busy share between two readings', () => {
    const a = parseProcStat('cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n');
    const b = parseProcStat('cpu  200 0 200 1400 200 0 0 0 0 0\n');
    expect(a).toEqual({ idle: 800, total: 1000 });
    expect(deriveCpuPercent(a, b)).toBe(20);
    expect(deriveCpuPercent(b, b)).toBeNull();
    expect(deriveCpuPercent(null, b)).toBeNull();
  });

  it('reads memory, load and network', () => {
    expect(parseMeminfo('MemTotal:       1000 kB\nMemFree:  100 kB\nMemAvailable:    250 kB\n')).toEqual({
      totalBytes: 1_024_000,
      availableBytes: 256_000,
    });
    expect(parseLoadavg('0.50 1.25 2.00 1/123 4567\n')).toEqual([0.5, 1.25, 2]);
    const netDev = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  999999     10    0    0    0     0          0         0   999999      10    0    0    0     0       0          0
  eth0:    1000     10    0    0    0     0          0         0     2000      10    0    0    0     0       0          0
  eth1:     500     10    0    0    0     0          0         0      100      10    0    0    0     0       0          0
`;
    expect(parseNetDev(netDev)).toEqual({ rxBytes: 1500, txBytes: 2100 });
    expect(parseVmRssBytes('Name:\tnode\nVmRSS:\t   2048 kB\n')).toBe(2_097_152);
  });
});
