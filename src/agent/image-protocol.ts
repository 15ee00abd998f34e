// The agent protocol's release images and registry logins (kept apart from protocol.ts, which is at its size limit).

/** A release's image: checked on the host, loaded from the uploaded `docker save` archive or pulled. */
export interface ImageSpec {
  id: string;
  /** `<server>/<repository>@sha256:…` when the release is in a registry (pulled, not uploaded), else a local tag. */
  ref: string;
  socket: string;
  pull: boolean;
  /** Who the pull logs in as (absent: no login); the password travels in `installRelease`'s `registryAuth`. */
  login?: RegistryLogin;
}

/** `installRelease`: a release directory from an artifact, or an image (loaded from the artifact, or pulled). */
export interface InstallReleaseParams {
  app: string;
  version: string;
  artifactPath: string;
  sha256: string;
  image?: ImageSpec;
  /** The registry login's password, for this pull only. */
  registryAuth?: RegistryCredentials;
  /** Directories of the release linked to the host's shared ones (`shared/<app>/<path>` in the agent's home). */
  shared?: string[];
}

/** Who a host's engine pulls a release image as: names only, so that it may sit in a plan. */
export interface RegistryLogin {
  /** host[:port] of the registry. */
  server: string;
  username: string;
  /** The secret holding the password, loaded on the control plane when the step runs. */
  passwordSecret: string;
}

/**
 * A registry login with its password, sent with one `installRelease` for its pull only: the agent hands it to the
 * engine (X-Registry-Auth) and never writes it to disk nor logs it; error texts are redacted.
 */
export interface RegistryCredentials {
  server: string;
  username: string;
  password: string;
}
