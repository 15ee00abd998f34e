import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import {
  holdsSharedCertificate,
  resolveConfigPath,
  routeOf,
  tlsModeOf,
  type FrontDoorEnvironment,
} from '../config/config-values-front-door.js';
import { InputError } from '../core/errors.js';
import type { FrontDoorAcmeSpec, FrontDoorRouteSpec } from '../agent/protocol.js';
import { directoryUrlOf } from '../certificates/acme-ca.js';
import type { PlannedFrontDoor } from '../plan/steps.js';
import { certificateNames, selectCertificate } from '../router/tls/certificate-names.js';

/** A certificate's files as read on the control plane. */
export interface ReadCertificate {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

/**
 * The environment's route on its hosts' front door (names, prefix, ports, certificate files resolved on this
 * machine), or null without `domains`. Pure apart from the home directory.
 */
export function plannedFrontDoorOf(
  app: string,
  environment: string,
  env: FrontDoorEnvironment,
  projectDir: string,
  homeDir: string = homedir(),
): PlannedFrontDoor | null {
  const route = routeOf(app, environment, env);
  if (route === null) return null;
  const tls = tlsModeOf(env);
  const certificates =
    tls.mode === 'files'
      ? tls.certificates.map((c) => ({
          certFile: resolveConfigPath(c.cert, projectDir, homeDir),
          keyFile: resolveConfigPath(c.key, projectDir, homeDir),
        }))
      : [];
  return {
    names: route.names,
    pathPrefix: route.pathPrefix,
    httpPort: route.frontDoor.httpPort,
    httpsPort: route.frontDoor.httpsPort,
    bindAddress: route.frontDoor.bindAddress,
    certificates,
    ...(tls.mode === 'acme'
      ? {
          acme: {
            directoryUrl: directoryUrlOf(tls.acme.directory),
            // Several hosts and no edge: one certificate for all, obtained by the control plane.
            ...(holdsSharedCertificate(env) ? { shared: true as const } : {}),
            ...(tls.acme.email === undefined ? {} : { email: tls.acme.email }),
            ...(tls.acme.caBundle === undefined
              ? {}
              : { caBundleFile: resolveConfigPath(tls.acme.caBundle, projectDir, homeDir) }),
          },
        }
      : {}),
    ...(tls.mode === 'none' ? {} : { redirect: tls.redirect }),
    ...(tls.mode !== 'none' && tls.hsts !== null ? { hsts: tls.hsts } : {}),
  };
}

/** The ACME CA as the router process is told of it: the CA bundle file read here (bad input naming it). */
export async function readAcmeSpec(door: PlannedFrontDoor): Promise<FrontDoorAcmeSpec | null> {
  if (door.acme === undefined) return null;
  const { directoryUrl, email, caBundleFile, shared } = door.acme;
  const caBundle =
    caBundleFile === undefined
      ? undefined
      : await readConfigFile(caBundleFile, 'CA bundle (tls.acme.caBundle)');
  return {
    directoryUrl,
    ...(email === undefined ? {} : { email }),
    ...(caBundle === undefined ? {} : { caBundle }),
    ...(shared ? { shared: true } : {}),
  };
}

/**
 * A planned front door as the agent is told of it: the certificate files (and an ACME CA bundle) read on this
 * machine when the step runs, so a plan never holds a key. A file that cannot be read is bad input naming it.
 */
export async function readFrontDoorSpec(door: PlannedFrontDoor): Promise<FrontDoorRouteSpec> {
  return {
    names: door.names,
    pathPrefix: door.pathPrefix,
    httpPort: door.httpPort,
    httpsPort: door.httpsPort,
    bindAddress: door.bindAddress,
    certificates: (await readCertificates(door)).map(({ cert, key }) => ({ cert, key })),
    acme: await readAcmeSpec(door),
    ...(door.redirect === undefined ? {} : { redirect: door.redirect }),
    ...(door.hsts === undefined ? {} : { hsts: door.hsts }),
  };
}

/** A file slipway.yml names, read on this machine; one that cannot be read is bad input naming it. */
function readConfigFile(file: string, what: string): Promise<string> {
  return readFile(file, 'utf8').catch((err: unknown) => {
    throw new InputError(
      `cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      {
        hint: 'paths in tls are relative to slipway.yml, absolute, or ~/…, on the machine that runs slipway',
      },
    );
  });
}

/** Reads the planned certificates' files; a file that cannot be read is bad input naming it. */
export async function readCertificates(door: PlannedFrontDoor): Promise<ReadCertificate[]> {
  return Promise.all(
    door.certificates.map(async ({ certFile, keyFile }) => ({
      certFile,
      keyFile,
      cert: await readConfigFile(certFile, 'certificate'),
      key: await readConfigFile(keyFile, 'key'),
    })),
  );
}

/**
 * Refuses (bad input, before anything changes) certificates that would not serve the environment's names: a
 * file that is no PEM certificate or key, a key that does not match its certificate, a certificate expired (or
 * not valid yet), or a domain that none of them covers (`selectCertificate`: an exact SAN, or a `*.` SAN
 * covering it by one label).
 */
export function checkCertificates(
  environment: string,
  names: readonly string[],
  certificates: readonly ReadCertificate[],
  nowMs: number,
): void {
  if (certificates.length === 0) return; // no tls: plain HTTP on the front door
  const named = certificates.map((c) => {
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(c.cert);
    } catch (err) {
      throw new InputError(
        `environments.${environment}: ${c.certFile} is not a PEM certificate: ${String(err)}`,
      );
    }
    let matches = false;
    try {
      matches = x509.checkPrivateKey(createPrivateKey(c.key));
    } catch (err) {
      throw new InputError(
        `environments.${environment}: ${c.keyFile} is not a PEM private key: ${String(err)}`,
      );
    }
    if (!matches) {
      throw new InputError(
        `environments.${environment}: the key ${c.keyFile} does not match the certificate ${c.certFile}`,
        {
          hint: 'give each certificate the key it was issued for',
        },
      );
    }
    const notAfter = Date.parse(x509.validTo);
    const notBefore = Date.parse(x509.validFrom);
    if (notAfter <= nowMs) {
      throw new InputError(
        `environments.${environment}: the certificate ${c.certFile} expired on ${new Date(notAfter).toISOString()}`,
        {
          hint: 'renew it and deploy again',
        },
      );
    }
    if (notBefore > nowMs) {
      throw new InputError(
        `environments.${environment}: the certificate ${c.certFile} is valid only from ${new Date(notBefore).toISOString()}`,
      );
    }
    return { names: certificateNames(x509.subjectAltName, x509.subject), file: c.certFile };
  });
  const uncovered = names.filter((name) => {
    // A wildcard domain is covered by a certificate for that same wildcard.
    if (name.startsWith('*.')) return !named.some((c) => c.names.includes(name));
    return selectCertificate(name, named) === null;
  });
  if (uncovered.length > 0) {
    throw new InputError(
      `environments.${environment}: ${uncovered.join(', ')} ${uncovered.length > 1 ? 'are' : 'is'} covered by none of the certificates in tls.certificates (${named.map((c) => `${c.file}: ${c.names.join(', ') || 'no DNS name'}`).join('; ')})`,
      {
        hint: 'add a certificate for each domain (an exact name, or *.parent covering one label), or remove the domain',
      },
    );
  }
}
