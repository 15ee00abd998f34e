import { isAbsolute, resolve } from 'node:path';
import { monitoringOf } from '../config/config-values.js';
import type { EnvironmentConfig } from '../config/schema.js';
import { deriveFrontDoorEndpoint, frontDoorUrl, pathUnderPrefix } from '../verify/front-door-endpoint.js';
import { deriveProbeUrl } from './probe-url.js';

/** What the access probe requests, where it connects, and which CA file it trusts besides the system's. */
export interface ProbeTarget {
  url: string;
  /** The address connected to when the URL names the front door by a name DNS may not resolve here. */
  connectTo: string | null;
  /** `verify.security.tls.ca`, resolved; null: the system's CAs only. */
  caFile: string | null;
}

/**
 * Where the access probe checks an environment (pure): `monitoring.probe.url` when given; else, for an environment
 * with `domains`, its first name on the front door (https with `tls`, at `httpsPort`; else http at `httpPort`),
 * connecting to the front door host's address, at `probe.path` under the path prefix; else the plain address
 * (the edge's port, or the first host's router). A private CA is trusted through `verify.security.tls.ca`, the one
 * trust setting verification has too.
 */
export function deriveProbeTarget(env: EnvironmentConfig, projectDir: string): ProbeTarget {
  const probe = monitoringOf(env).probe;
  const ca = env.verify?.security?.tls.ca;
  const caFile = ca === undefined ? null : isAbsolute(ca) ? ca : resolve(projectDir, ca);
  const door = probe.url ? null : deriveFrontDoorEndpoint(env);
  const [name] = door?.names ?? [];
  if (door === null || name === undefined) return { url: deriveProbeUrl(env), connectTo: null, caFile };
  return {
    url: frontDoorUrl(door, name, pathUnderPrefix(door.pathPrefix, probe.path)),
    connectTo: door.address,
    caFile,
  };
}
