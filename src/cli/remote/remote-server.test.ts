import { describe, expect, it } from 'vitest';
import { isPlainHttpToAnotherHost, parseServerUrl, wantsRemoteServer } from './remote-server.js';

describe('wantsRemoteServer', () => {
  const argv = (...args: string[]) => ['node', 'slipway', ...args];

  it('is on with --server anywhere before `--`, in either spelling, or with SLIPWAY_SERVER', () => {
    expect(wantsRemoteServer(argv('--server', 'http://x', 'status'), {})).toBe(true);
    expect(wantsRemoteServer(argv('deploy', 'production', '--server=http://x'), {})).toBe(true);
    expect(wantsRemoteServer(argv('status'), { SLIPWAY_SERVER: 'http://x' })).toBe(true);
  });

  it('is off otherwise: no flag, an empty SLIPWAY_SERVER, a flag after `--`, a longer flag name', () => {
    expect(wantsRemoteServer(argv('status'), {})).toBe(false);
    expect(wantsRemoteServer(argv('status'), { SLIPWAY_SERVER: '  ' })).toBe(false);
    expect(wantsRemoteServer(argv('logs', '--', '--server'), {})).toBe(false);
    expect(wantsRemoteServer(argv('status', '--servers'), {})).toBe(false);
  });
});

describe('parseServerUrl', () => {
  it('keeps the origin and a path prefix, without a trailing slash', () => {
    expect(parseServerUrl('http://127.0.0.1:8430/', '--server')).toBe('http://127.0.0.1:8430');
    expect(parseServerUrl(' https://ops.example.com/slipway/ ', '--server')).toBe(
      'https://ops.example.com/slipway',
    );
  });

  it('refuses what is not an http(s) URL, credentials (the token has its own place), queries', () => {
    expect(() => parseServerUrl('localhost:8430', 'SLIPWAY_SERVER')).toThrow(
      'SLIPWAY_SERVER must be an http:// or https:// URL, not localhost:',
    );
    expect(() => parseServerUrl('127.0.0.1:8430', '--server')).toThrow(
      '--server is not a URL: "127.0.0.1:8430"',
    );
    expect(() => parseServerUrl('not a url', '--server')).toThrow('--server is not a URL: "not a url"');
    expect(() => parseServerUrl('https://ci:slp_x@ops.example.com', '--server')).toThrow(
      '--server must not carry credentials',
    );
    expect(() => parseServerUrl('https://ops.example.com/?token=slp_x', '--server')).toThrow(
      'must not have a query or fragment',
    );
  });
});

describe('isPlainHttpToAnotherHost', () => {
  it('warns for http to another machine, not for https or this machine', () => {
    expect(isPlainHttpToAnotherHost('http://10.0.0.5:8430')).toBe(true);
    expect(isPlainHttpToAnotherHost('https://10.0.0.5:8430')).toBe(false);
    expect(isPlainHttpToAnotherHost('http://127.0.0.1:8430')).toBe(false);
    expect(isPlainHttpToAnotherHost('http://localhost:8430')).toBe(false);
    expect(isPlainHttpToAnotherHost('http://[::1]:8430')).toBe(false);
  });
});
