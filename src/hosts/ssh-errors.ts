import { SlipwayError } from '../core/errors.js';

/** The host presented a key the known_hosts file does not hold (`unknown`) or contradicts (`changed`). */
export class HostKeyError extends SlipwayError {
  constructor(
    readonly host: string,
    readonly status: 'unknown' | 'changed',
    readonly fingerprint: string,
    message: string,
    options?: { hint?: string },
  ) {
    super(message, options);
  }
}

/** No SSH connection could be made (refused, timed out, no route, name not found). */
export class HostUnreachableError extends SlipwayError {
  constructor(
    readonly host: string,
    message: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(message, options);
  }
}

/** The SSH server refused every key offered for the user. */
export class HostAuthError extends SlipwayError {
  constructor(
    readonly host: string,
    message: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(message, options);
  }
}

/** No agent runs on the host (and we were asked not to start one). */
export class AgentNotRunningError extends SlipwayError {}
