import { describe, expect, it } from 'vitest';
import {
  chooseServiceManager,
  parseDfAvailable,
  parseEpochMs,
  parseEpochSeconds,
  parseMemAvailable,
  parseProcNetTcpListeners,
  parseSha256sum,
  parseSsListeners,
  parseUname,
  pathAndAncestors,
  unameMachinesFor,
} from './host-facts.js';

const A = 'a'.repeat(64);
const B = '0123456789abcdef'.repeat(4);

describe('host facts', () => {
  it('reads sha256sum output, ignoring files that are missing', () => {
    const text = `${A}  /var/lib/slipway/bin/node\n${B} */var/lib/slipway/bin/agent.js\n`;
    const sums = parseSha256sum(`${text}sha256sum: /var/lib/slipway/bin/x: No such file or directory\n`);
    expect([...sums]).toEqual([
      ['/var/lib/slipway/bin/node', A],
      ['/var/lib/slipway/bin/agent.js', B],
    ]);
  });

  it('reads uname -sm and maps node architectures', () => {
    expect(parseUname('Linux x86_64\n')).toEqual({ os: 'Linux', machine: 'x86_64' });
    expect(parseUname('')).toBeNull();
    expect(unameMachinesFor('x64')).toContain('x86_64');
    expect(unameMachinesFor('arm64')).toContain('aarch64');
    expect(unameMachinesFor('mips')).toEqual(['mips']);
  });

  it('reads the first existing path of df -Pk', () => {
    const text = [
      'Filesystem     1024-blocks     Used Available Capacity Mounted on',
      '/dev/vda         264212084 23381916  83008996      22% /',
      '/dev/vdb         1000 10  990      1% /srv',
    ].join('\n');
    expect(parseDfAvailable(text)).toEqual({ availableBytes: 83008996 * 1024, mountedOn: '/' });
    expect(
      parseDfAvailable(
        'Filesystem 1024-blocks Used Available Capacity Mounted on\nmy fs 100 40 60 40% /mnt/with space\n',
      ),
    ).toEqual({ availableBytes: 60 * 1024, mountedOn: '/mnt/with space' });
    expect(parseDfAvailable('Filesystem 1024-blocks Used Available Capacity Mounted on\n')).toBeNull();
    expect(pathAndAncestors('/var/lib/slipway')).toEqual(['/var/lib/slipway', '/var/lib', '/var', '/']);
    expect(pathAndAncestors('/')).toEqual(['/']);
  });

  it('reads MemAvailable, or estimates it on old kernels', () => {
    expect(parseMemAvailable('MemTotal: 24684092 kB\nMemFree: 2000 kB\nMemAvailable:   23803196 kB\n')).toBe(
      23803196 * 1024,
    );
    expect(parseMemAvailable('MemFree: 1000 kB\nBuffers: 10 kB\nCached: 90 kB\n')).toBe(1100 * 1024);
    expect(parseMemAvailable('nothing')).toBeNull();
  });

  it('reads listeners from ss -ltnp, IPv4 and IPv6, with their processes', () => {
    const text = [
      'State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess',
      'LISTEN 0      511        127.0.0.1:8420       0.0.0.0:*    users:(("node",pid=14185,fd=20))',
      'LISTEN 0      4096          [::]:22             [::]:*    users:(("sshd",pid=1,fd=4),("sshd",pid=7,fd=4))',
      'LISTEN 0      128              *:9000              *:*',
    ].join('\n');
    expect(parseSsListeners(text)).toEqual([
      { address: '127.0.0.1', port: 8420, processes: [{ name: 'node', pid: 14185 }] },
      {
        address: '[::]',
        port: 22,
        processes: [
          { name: 'sshd', pid: 1 },
          { name: 'sshd', pid: 7 },
        ],
      },
      { address: '*', port: 9000, processes: [] },
    ]);
  });

  it('reads listeners from /proc/net/tcp', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:20E4 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 256673 1',
      '   1: 0100007F:A623 0100007F:20E4 01 00000000:00000000 00:00000000 00000000     0        0 40319 1',
    ].join('\n');
    expect(parseProcNetTcpListeners(text)).toEqual([{ address: '0100007F', port: 8420, processes: [] }]);
  });

  it('reads the remote clock', () => {
    expect(parseEpochMs('1795709519343\n')).toBe(1795709519343);
    expect(parseEpochMs('1795709519%3N\n')).toBeNull();
    expect(parseEpochSeconds('1795709519\n')).toBe(1795709519000);
  });

  it('uses systemd only when it runs and we are root', () => {
    expect(chooseServiceManager('0\n', 'running\n')).toBe('systemd');
    expect(chooseServiceManager('0\n', 'degraded\n')).toBe('systemd');
    expect(chooseServiceManager('1000\n', 'running\n')).toBe('detached');
    expect(chooseServiceManager('0\n', 'offline\n')).toBe('detached');
    expect(chooseServiceManager('0\n', '')).toBe('detached');
  });
});
