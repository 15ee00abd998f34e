import { SlipwayError } from '../core/errors.js';

/** A verification whose checks failed; the message names every failed check. */
export class VerificationFailedError extends SlipwayError {
  constructor(
    readonly release: string,
    readonly environment: string,
    readonly failures: string[],
    onFailure: 'keep' | 'rollback',
  ) {
    super(`verification of ${release} in ${environment} failed: ${failures.join('; ')}`, {
      hint:
        onFailure === 'keep'
          ? `${release} keeps serving ${environment} for inspection and is blocked from promotion; "slipway verify ${environment}" checks again, "slipway rollback ${environment}" goes back`
          : `traffic goes back to the previous release; ${release} is blocked from promotion`,
    });
  }
}
