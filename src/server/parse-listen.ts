import { InputError } from '../core/errors.js';

export const DEFAULT_LISTEN = '127.0.0.1:8430';

/** `host:port` (`[::1]:8430` for IPv6; port 0 picks a free one). */
export function parseListen(text: string): { hostname: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text.trim());
  const port = Number(match?.[3]);
  const hostname = match?.[1] ?? match?.[2];
  if (!match || hostname === undefined || !Number.isInteger(port) || port > 65535) {
    throw new InputError(`--listen "${text}" is not host:port`, {
      hint: `e.g. --listen ${DEFAULT_LISTEN}, or 127.0.0.1:0 for a free port`,
    });
  }
  return { hostname, port };
}
