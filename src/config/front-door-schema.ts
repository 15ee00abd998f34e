import { posix } from 'node:path';
import { domainToASCII } from 'node:url';
import { z } from 'zod';
import { bindAddressSchema, isIpAddress } from './address-schema.js';
import { DEFAULTS } from './defaults.js';
import { duration } from './duration-schema.js';
import { hasNulByte, NUL_MESSAGE } from './string-checks.js';

// The keys of issue 16's front door: the names an environment answers to (`domains`, `pathPrefix`), the host's
// shared ports (`frontDoor`) and HTTPS (`tls`: certificate files or ACME, the redirect, HSTS), served by the
// agent's router process on the environment's hosts, or on its edge's host (docs/https-and-domains.md).

/** Where the reference sends a reader for how it works. */
const SEE_DOCS = 'How it is served: docs/https-and-domains.md.';

/** A string key checked by a function that says what is wrong (`undefined`: nothing). */
function checkedString(check: (text: string) => string | undefined): z.ZodString {
  return z.string().superRefine((text, ctx) => {
    const problem = check(text);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: text });
  });
}

/** One DNS label: letters, digits and dashes, not starting or ending with a dash, at most 63 characters. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * What is wrong with a name in `domains` (undefined: nothing). A domain is a lower-case DNS name (`shop.example.com`,
 * a single label such as `localhost` too), or a wildcard `*.example.com`: `*` as the whole first label, over at
 * least two labels (`*.com` would cover a whole top-level domain; certificates do not). No scheme, port, path,
 * trailing dot, upper case, IP address or non-ASCII letters: each gets a message that shows the name to write.
 * Pure.
 */
export function checkDomainName(text: string): string | undefined {
  if (text.trim() === '') return 'expected a host name such as "shop.example.com"';
  if (hasNulByte(text)) return NUL_MESSAGE;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text);
  if (scheme !== null) {
    return `a domain is a host name without a scheme: write ${JSON.stringify(bareName(text))}, without "${scheme[0]}"`;
  }
  const slash = text.indexOf('/');
  if (slash !== -1) {
    return `a domain is a host name without a path: write ${JSON.stringify(text.slice(0, slash))} (a path goes in pathPrefix)`;
  }
  if (/^\[.*\]/.test(text) || isIpAddress(text) || isIpAddress(text.replace(/:\d+$/, ''))) {
    return 'expected a DNS name, not an IP address (clients send no server name for an address, and CAs issue for names)';
  }
  const port = /:(\d*)$/.exec(text);
  if (port !== null) {
    return `a domain is a host name without a port: write ${JSON.stringify(text.slice(0, port.index))} (the ports are frontDoor.httpPort and frontDoor.httpsPort)`;
  }
  if (/\s/.test(text)) return 'a domain must not contain spaces';
  if (text.endsWith('.') && text.length > 1) {
    return `write the name without the trailing dot: ${JSON.stringify(text.replace(/\.+$/, ''))}`;
  }
  if (/[^\x00-\x7f]/.test(text)) {
    const ascii = domainToASCII(text);
    return ascii === ''
      ? 'expected a DNS name of ASCII letters, digits and dashes'
      : `write an international name in its ASCII (punycode) form: ${JSON.stringify(ascii)}`;
  }
  if (text !== text.toLowerCase()) {
    return `domains are written in lower case: write ${JSON.stringify(text.toLowerCase())}`;
  }
  const labels = text.split('.');
  const wildcard = labels[0] === '*';
  if (
    text.includes('*') &&
    (!wildcard || labels.slice(1).some((l) => l.includes('*')) || labels.length < 3)
  ) {
    return 'a wildcard is "*" as the whole first label over at least two more, as in "*.example.com" (it covers one label: a.example.com, not example.com nor a.b.example.com)';
  }
  if (text.length > 253) return 'expected a DNS name of at most 253 characters';
  const bad = labels.slice(wildcard ? 1 : 0).find((label) => !LABEL.test(label));
  if (bad !== undefined) {
    return bad === ''
      ? 'expected a DNS name without empty labels (".." or a leading ".")'
      : `expected a DNS name: the label ${JSON.stringify(bad)} is not 1 to 63 letters, digits and dashes (no dash first or last, no "_")`;
  }
  if (/^[0-9]+$/.test(labels.at(-1) ?? '')) {
    return 'expected a DNS name: its last label is all digits, which reads as an IP address';
  }
  return undefined;
}

/** `https://Shop.example.com:443/x` → `shop.example.com`: the name a message suggests. */
function bareName(text: string): string {
  const rest = text.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  return rest.split(/[/?#]/)[0]?.replace(/:\d*$/, '').replace(/\.+$/, '').toLowerCase() ?? rest;
}

/** Characters of a path prefix: RFC 3986's path characters (`%` only as `%XX`). */
const PATH_CHARS = /^[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/;

/**
 * What is wrong with a `pathPrefix` (undefined: nothing): it starts with `/`, ends without one (except `/` itself),
 * has no empty, `.` or `..` segment, and holds only path characters (no query, fragment or spaces). Pure.
 */
export function checkPathPrefix(text: string): string | undefined {
  if (hasNulByte(text)) return NUL_MESSAGE;
  if (!text.startsWith('/'))
    return `expected a path starting with "/", such as ${JSON.stringify(`/${text}`)}`;
  if (text.length > 1 && text.endsWith('/')) {
    return `write the prefix without a trailing "/": ${JSON.stringify(text.replace(/\/+$/, '') || '/')}`;
  }
  if (text.length > 1024) return 'expected a path prefix of at most 1024 characters';
  if (/[?#]/.test(text)) return 'a path prefix is a path: no query ("?") or fragment ("#")';
  const withoutEscapes = text.replace(/%[0-9A-Fa-f]{2}/g, '');
  if (!PATH_CHARS.test(withoutEscapes)) {
    return "expected a path of letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : @ / (others as %XX, no spaces)";
  }
  if (text === '/') return undefined;
  const segments = text.slice(1).split('/');
  if (segments.includes(''))
    return `a path prefix has no empty segment ("//"): write ${JSON.stringify(posix.normalize(text))}`;
  if (segments.some((s) => s === '.' || s === '..'))
    return 'a path prefix must not contain "." or ".." segments';
  return undefined;
}

/** A file the control plane reads: relative to slipway.yml, absolute, or `~/…`. */
function filePath(what: string): z.ZodString {
  return checkedString((text) =>
    text === '' ? `expected the path of ${what}` : hasNulByte(text) ? NUL_MESSAGE : undefined,
  );
}

const port = () => z.int().min(1).max(65535);

export const frontDoorSchema = z
  .strictObject({
    httpPort: port()
      .default(DEFAULTS.frontDoor.httpPort)
      .describe('Plain HTTP port (and the ACME HTTP-01 challenges, which a CA sends to port 80).'),
    httpsPort: port()
      .default(DEFAULTS.frontDoor.httpsPort)
      .describe('HTTPS port (and the ACME TLS-ALPN-01 challenges, which a CA sends to port 443).'),
    bindAddress: bindAddressSchema
      .default(DEFAULTS.frontDoor.bindAddress)
      .describe('IP address the front door listens on (`0.0.0.0` or `::` for every interface).'),
  })
  .refine((door) => door.httpPort !== door.httpsPort, {
    message: 'httpPort and httpsPort must differ',
    path: ['httpsPort'],
  })
  .describe(
    `The front door's ports on the hosts users reach (the edge's host when there is an edge, else each host): one listener per host, shared by every app and environment there that has \`domains\`, which routes by name (Host, SNI). One host has one front door, so every environment (of every app) that uses it must give it the same ports; within this file \`slipway validate\` checks that, across apps the agent must. Default: 80, 443 on every interface. Only with \`domains\`. ${SEE_DOCS}`,
  );

const certificateFilesSchema = z
  .strictObject({
    cert: filePath('a PEM certificate chain').describe(
      'PEM certificate chain, leaf first (relative to slipway.yml, absolute, or ~/…, on the machine that runs slipway).',
    ),
    key: filePath('a PEM private key').describe(
      'PEM private key of the leaf (same paths as `cert`); only its path is in slipway.yml.',
    ),
  })
  .describe('One certificate: its chain and key files.');

/** ACME CAs by name; the names are those of src/certificates/acme-ca.ts (a test keeps them equal). */
export const ACME_DIRECTORY_NAMES = ['letsencrypt', 'letsencrypt-staging'] as const;

/** What is wrong with an ACME `directory` (undefined: nothing): a known name or an https:// URL. Pure. */
export function checkAcmeDirectory(text: string): string | undefined {
  if ((ACME_DIRECTORY_NAMES as readonly string[]).includes(text)) return undefined;
  const names = ACME_DIRECTORY_NAMES.map((n) => JSON.stringify(n)).join(' or ');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `expected ${names}, or the https:// directory URL of an ACME CA`;
  }
  if (url.protocol !== 'https:') return 'expected an https:// directory URL (RFC 8555 requires HTTPS)';
  return undefined;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const acmeSchema = z
  .strictObject({
    email: checkedString((text) =>
      EMAIL.test(text) ? undefined : 'expected an email address such as "ops@example.com"',
    ).describe(
      "The ACME account's contact: the CA may write here about the account, its certificates and changes to its terms.",
    ),
    directory: checkedString(checkAcmeDirectory)
      .default(DEFAULTS.tls.acmeDirectory)
      .describe(
        'The CA: `letsencrypt`, `letsencrypt-staging` (untrusted certificates and generous rate limits, for trying things out), or the `https://` directory URL of any ACME (RFC 8555) CA, such as a private step-ca or Pebble.',
      ),
    caBundle: filePath('a PEM CA bundle')
      .optional()
      .describe(
        "PEM certificates to trust for the HTTPS connection to `directory` instead of the system's (a private CA whose server certificate no public CA signed). Same paths as `certificates[].cert`.",
      ),
  })
  .describe(
    "Certificates obtained and renewed automatically from an ACME CA, one for all `domains`, validated by HTTP-01 on the front door's port 80 or TLS-ALPN-01 on its port 443: the CA must reach the front door on those ports under each name. By setting `acme` you accept the terms of service (subscriber agreement) of the CA that `directory` names, e.g. Let's Encrypt's: Slipway agrees to them on your behalf when it creates the account. Wildcard names need DNS-01, which Slipway does not answer: give them `certificates`.",
  );

const hstsSchema = z
  .strictObject({
    maxAge: duration({ allowZero: true, max: 'span' })
      .default(DEFAULTS.tls.hsts.maxAge)
      .describe(
        'How long browsers remember to reach these names over HTTPS only (whole seconds; `0s` tells them to forget).',
      ),
    includeSubDomains: z
      .boolean()
      .default(DEFAULTS.tls.hsts.includeSubDomains)
      .describe('The rule covers every name below each domain too: only when all of them serve HTTPS.'),
    preload: z
      .boolean()
      .default(DEFAULTS.tls.hsts.preload)
      .describe(
        'Asks to be listed in the browsers’ preload lists (hstspreload.org), which needs includeSubDomains and a maxAge of at least 365d; hard to undo.',
      ),
  })
  .describe(
    'Strict-Transport-Security on HTTPS answers (an app that sets its own header keeps it). Off unless given: once a browser has seen it, it refuses plain HTTP for maxAge.',
  );

export const tlsSchema = z
  .strictObject({
    certificates: z
      .array(certificateFilesSchema)
      .min(1)
      .optional()
      .describe(
        'Certificates from files: each domain must be covered by one of them (checked at deploy time, when the files are read: `slipway validate` reads no file). The file chosen for a client is the one naming its server name (SNI) exactly, else by wildcard.',
      ),
    acme: acmeSchema.optional(),
    redirect: z
      .boolean()
      .default(DEFAULTS.tls.redirect)
      .describe(
        'Answer plain-HTTP requests for a name with a redirect to HTTPS (308, path and query kept) once a certificate for it is served; until then (ACME still obtaining one) the name is served over HTTP. `false`: serve both.',
      ),
    hsts: hstsSchema.optional(),
  })
  .describe(
    `HTTPS for \`domains\`: give either \`certificates\` (files) or \`acme\` (automatic). TLS 1.2 at least. ${SEE_DOCS}`,
  );

/** The keys an environment gains, spread into environmentSchema. */
export const frontDoorShape = {
  domains: z
    .array(checkedString(checkDomainName))
    .min(1)
    .max(100)
    .optional()
    .describe(
      `Host names this environment answers to on its hosts' front door (\`frontDoor\`), e.g. \`[shop.example.com, www.shop.example.com]\`: lower-case DNS names, or \`*.example.com\` for every name one label below example.com (an exact name another environment lists wins over the wildcard). No scheme, port or path. At most 100 (a certificate's limit at Let's Encrypt). Without \`tls\` they are served over plain HTTP. The environment's own \`publicPort\` keeps serving beside them. ${SEE_DOCS}`,
    ),
  pathPrefix: checkedString(checkPathPrefix)
    .optional()
    .describe(
      'Only requests under this path go to the environment, on whole segments (`/api` takes /api and /api/…, not /apix); the app receives the path unchanged. Default: `/`, the whole site. Only with `domains`; another environment may take another prefix of the same names (the longest matching prefix wins).',
    ),
  frontDoor: frontDoorSchema.optional(),
  tls: tlsSchema.optional(),
};

export type FrontDoorConfig = z.output<typeof frontDoorSchema>;
export type TlsConfig = z.output<typeof tlsSchema>;
export type AcmeConfig = z.output<typeof acmeSchema>;
export type HstsConfig = z.output<typeof hstsSchema>;
export type CertificateFilesConfig = z.output<typeof certificateFilesSchema>;
