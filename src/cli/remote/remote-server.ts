import { InputError, SlipwayError } from '../../core/errors.js';
import { ApiClient } from './api-client.js';

/** The global options of the `--server` mode (the local ones are refused there, see createRemoteProgram). */
export interface RemoteGlobalOptions {
  server?: string;
  config?: string;
  stateDir?: string;
  store?: string;
  token?: string;
}

export { wantsRemoteServer } from './wants-remote-server.js';

/** The server's base URL: http(s), no credentials, query or fragment; a path prefix is kept. */
export function parseServerUrl(text: string, source: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new InputError(`${source} is not a URL: "${text}"`, {
      hint: `e.g. http://${text.trim() || '127.0.0.1:8430'} (the address \`slipway server\` prints on start)`,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(`${source} must be an http:// or https:// URL, not ${url.protocol}`, {
      hint: `e.g. http://${text.trim()} (the address \`slipway server\` prints on start)`,
    });
  }
  if (url.username || url.password) {
    throw new InputError(`${source} must not carry credentials`, {
      hint: 'the token goes in SLIPWAY_TOKEN, never in the URL or an argument',
    });
  }
  if (url.search || url.hash) throw new InputError(`${source} must not have a query or fragment: "${text}"`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** A token sent in clear to another machine can be read on the way. */
export function isPlainHttpToAnotherHost(server: string): boolean {
  const url = new URL(server);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
  return url.protocol === 'http:' && !loopback;
}

/**
 * The API client of this run. The token comes from SLIPWAY_TOKEN only: arguments are visible to every user of
 * the machine (`ps`), so `--token` is refused rather than ignored.
 */
export function openRemote(options: RemoteGlobalOptions, env: NodeJS.ProcessEnv): ApiClient {
  if (options.token !== undefined) {
    throw new InputError(
      'the token is never an argument (every user of this machine sees arguments in `ps`)',
      {
        hint: 'set SLIPWAY_TOKEN instead, e.g. read it from a file: SLIPWAY_TOKEN=$(cat ~/.slipway-token)',
      },
    );
  }
  for (const [flag, value] of [
    ['-c/--config', options.config],
    ['--state-dir', options.stateDir],
    ['--store', options.store],
  ] as const) {
    if (value !== undefined) {
      throw new InputError(
        `${flag} is for running Slipway here; with --server the server's project is used`,
        {
          hint: `drop ${flag}, or drop --server (and SLIPWAY_SERVER) to work on this machine`,
        },
      );
    }
  }
  const fromFlag = options.server !== undefined;
  const text = options.server ?? env.SLIPWAY_SERVER ?? '';
  const server = parseServerUrl(text, fromFlag ? '--server' : 'SLIPWAY_SERVER');
  const token = env.SLIPWAY_TOKEN?.trim();
  if (!token) {
    throw new SlipwayError(`no token for the server at ${server}: SLIPWAY_TOKEN is not set`, {
      hint: 'an admin creates one on the server: slipway token create --subject <you> --role deployer:<env>',
    });
  }
  if (isPlainHttpToAnotherHost(server)) {
    process.stderr.write(
      `warning: the token goes to ${server} over plain http; anyone on the way can read it (use https)\n`,
    );
  }
  return new ApiClient({ server, token });
}
