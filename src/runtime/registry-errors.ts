import { SlipwayError } from '../core/errors.js';
import { redact } from '../core/secret.js';

/** What was being done with the registry when it failed, for the message. */
export interface RegistryAction {
  /** e.g. "push hello:1.0.0", "pull 10.0.0.1:5000/hello@sha256:…". */
  doing: string;
  server: string;
  /** The login's user; null for a registry without a login. */
  username: string | null;
  /** Values that must not appear in the message (the password). */
  secrets: readonly string[];
}

export type RegistryFailure = 'unauthorized' | 'untrusted' | 'missing' | 'other';

/** Which failure an engine's or a registry's error text is (their wording, from Docker and Distribution). Pure. */
export function classifyRegistryError(text: string): RegistryFailure {
  if (
    /unauthorized|authentication required|no basic auth credentials|incorrect username or password|denied|\b401\b/i.test(
      text,
    )
  )
    return 'unauthorized';
  if (/x509|certificate|tls:/i.test(text)) return 'untrusted';
  if (/manifest unknown|not found|no such image|\b404\b/i.test(text)) return 'missing';
  return 'other';
}

/**
 * A registry failure as an operator wants to read it: which registry, which user, what to do; the engine's own
 * words after it, with the password redacted. Pure.
 */
export function describeRegistryError(action: RegistryAction, text: string): SlipwayError {
  const said = redact(text, action.secrets).trim();
  const who = action.username === null ? 'without a login' : `user ${action.username}`;
  switch (classifyRegistryError(said)) {
    case 'unauthorized':
      return new SlipwayError(`registry ${action.server} refused ${who} (${action.doing}): ${said}`, {
        hint:
          action.username === null
            ? 'the registry needs a login: set runtime.registry.username and passwordSecret'
            : "check the password in the secret named by runtime.registry.passwordSecret (and the user's rights on the repository)",
      });
    case 'untrusted':
      return new SlipwayError(
        `registry ${action.server}'s TLS certificate is not trusted (${action.doing}): ${said}`,
        {
          hint: `a private CA goes to /etc/docker/certs.d/${action.server}/ca.crt on each engine's host (and runtime.registry.ca for the control plane)`,
        },
      );
    case 'missing':
      return new SlipwayError(`registry ${action.server} has no such image (${action.doing}): ${said}`, {
        hint: 'the image was deleted from the registry or never pushed: create a new release (slipway release create)',
      });
    case 'other':
      return new SlipwayError(`registry ${action.server}: ${action.doing} failed: ${said}`);
  }
}
