import { NotFoundError } from '../core/errors.js';
import type { ControlPlane } from './control-plane.js';

/** The release a command is about: the one named, else the newest. */
export async function resolveReleaseVersion(
  cp: Pick<ControlPlane, 'store' | 'config'>,
  version: string | undefined,
): Promise<string> {
  if (version) return version;
  const [newest] = await cp.store.listReleases(cp.config.app);
  if (!newest) {
    throw new NotFoundError(`there are no releases of ${cp.config.app} yet`, {
      hint: 'create one: slipway release create --version 1.0.0',
    });
  }
  return newest.version;
}
