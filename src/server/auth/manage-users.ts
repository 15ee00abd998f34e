import { ConflictError, SlipwayError, UnknownNameError } from '../../core/errors.js';
import type { UserRecord } from '../../store/index.js';
import { recordAuthEvent, type AuthContext } from './auth-events.js';
import { DEFAULT_AUTH_POLICY } from './auth-policy.js';
import { hashPassword } from './password-hash.js';
import { formatGrant, type Grant } from './roles.js';

/** What may be shown of a user: everything but the password hash. */
export type UserView = Omit<UserRecord, 'passwordHash'>;

export function toUserView({ passwordHash: _hash, ...view }: UserRecord): UserView {
  return view;
}

/** Letters, digits and `._@-`: a name the ledger and the dashboard show as is. */
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export function validatePassword(password: string, minLength = DEFAULT_AUTH_POLICY.minPasswordLength): void {
  if ([...password].length < minLength) {
    throw new SlipwayError(`the password is too short (at least ${minLength} characters)`, {
      hint: 'a few random words make a long password that is easy to type',
    });
  }
}

export async function addUser(
  context: AuthContext,
  request: { name: string; password: string; grants: Grant[] },
): Promise<UserView> {
  if (!USER_NAME.test(request.name)) {
    throw new SlipwayError(`"${request.name}" is not a valid user name`, {
      hint: 'letters, digits and . _ @ - (at most 64)',
    });
  }
  if (request.grants.length === 0) {
    throw new SlipwayError('a user needs at least one role', { hint: 'e.g. --role viewer' });
  }
  validatePassword(request.password);
  const now = context.clock.nowMs();
  const user: UserRecord = {
    name: request.name,
    passwordHash: await hashPassword(request.password),
    grants: request.grants,
    createdBy: context.actor,
    createdAtMs: now,
    passwordChangedAtMs: now,
  };
  if (!(await context.store.createUser(user))) {
    throw new ConflictError(`user ${request.name} exists`, {
      hint: `change the password with: slipway user passwd ${request.name}`,
    });
  }
  const roles = user.grants.map(formatGrant);
  await recordAuthEvent(context, 'auth.user-added', `user ${user.name} added (${roles.join(' ')})`, {
    user: user.name,
    roles,
  });
  return toUserView(user);
}

export async function removeUser(context: AuthContext, name: string): Promise<void> {
  if (!(await context.store.deleteUser(name))) throw new UnknownNameError(`no user ${name}`);
  await recordAuthEvent(context, 'auth.user-removed', `user ${name} removed`, { user: name });
}

/** Sets a new password; the user's sessions end. */
export async function changeUserPassword(
  context: AuthContext,
  name: string,
  password: string,
): Promise<void> {
  validatePassword(password);
  const hash = await hashPassword(password);
  if (!(await context.store.setUserPassword(name, hash, context.clock.nowMs()))) {
    throw new UnknownNameError(`no user ${name}`);
  }
  await recordAuthEvent(context, 'auth.password-changed', `password of ${name} changed`, { user: name });
}
