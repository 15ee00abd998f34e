import type { RegistryCredentials } from '../agent/image-protocol.js';
import { connectDocker } from './docker-connect.js';
import { describeRegistryError } from './registry-errors.js';

/**
 * Logs in to the registry through the host's own engine (`POST /auth`): the engine reaches the registry with its
 * own TLS trust (/etc/docker/certs.d) and checks the login; nothing is stored. Throws a redacted, named error.
 */
export async function checkRegistryLogin(socket: string, credentials: RegistryCredentials): Promise<void> {
  const docker = await connectDocker(socket);
  try {
    await docker.checkAuth({
      username: credentials.username,
      password: credentials.password,
      serveraddress: credentials.server,
    });
  } catch (err) {
    throw describeRegistryError(
      {
        doing: 'log in from this host',
        server: credentials.server,
        username: credentials.username,
        secrets: [credentials.password],
      },
      err instanceof Error ? err.message : String(err),
    );
  }
}
