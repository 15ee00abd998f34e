import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * `known`: the file holds this key for the host. `unknown`: it holds no key of this type for the host.
 * `changed`: it holds another key of the same type for the host, or lists this key as @revoked.
 */
export type HostKeyStatus = 'known' | 'unknown' | 'changed';

export interface KnownHostEntry {
  /** Host patterns (`name`, `[name]:port`, wildcards, `!negated`), or one hashed `|1|salt|hash`. */
  patterns: string[];
  keyType: string;
  keyBlob: Buffer;
  marker: 'revoked' | 'cert-authority' | null;
  line: number;
}

/** How OpenSSH names a host in known_hosts: `addr` on port 22, `[addr]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The SHA-256 fingerprint of a public key blob, as `ssh-keygen -l` prints it. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (its first string), e.g. `ssh-ed25519`. */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return '';
  const length = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + length).toString('latin1');
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (!fields[0] || fields[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') {
      marker = fields[0] === '@revoked' ? 'revoked' : 'cert-authority';
      fields.shift();
    }
    const [hosts, keyType, base64] = fields;
    if (!hosts || !keyType || !base64) return;
    entries.push({
      patterns: hosts.split(','),
      keyType,
      keyBlob: Buffer.from(base64, 'base64'),
      marker,
      line: index + 1,
    });
  });
  return entries;
}

/** Does an entry's host list name this host (OpenSSH rules: any positive match and no negated match)? */
export function entryMatchesHost(entry: KnownHostEntry, name: string): boolean {
  let matched = false;
  for (const pattern of entry.patterns) {
    if (pattern.startsWith('|1|')) {
      if (hashedMatches(pattern, name)) matched = true;
    } else if (pattern.startsWith('!')) {
      if (wildcardMatches(pattern.slice(1), name)) return false;
    } else if (wildcardMatches(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

/** The verdict on a key a host presented, given the parsed file. Pure. */
export function matchHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  keyBlob: Buffer,
): HostKeyStatus {
  const name = knownHostsName(host, port);
  const mine = entries.filter((e) => e.marker !== 'cert-authority' && entryMatchesHost(e, name));
  if (mine.some((e) => e.marker === 'revoked' && e.keyBlob.equals(keyBlob))) return 'changed';
  const keyType = keyTypeOf(keyBlob);
  const sameType = mine.filter((e) => e.marker === null && e.keyType === keyType);
  if (sameType.some((e) => e.keyBlob.equals(keyBlob))) return 'known';
  return sameType.length > 0 ? 'changed' : 'unknown';
}

/** Key types the file knows for a host, so the SSH handshake can ask for one of those first. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const types = entries.filter((e) => e.marker === null && entryMatchesHost(e, name)).map((e) => e.keyType);
  return [...new Set(types)];
}

export async function loadKnownHosts(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export async function verifyHostKey(
  file: string,
  host: string,
  port: number,
  keyBlob: Buffer,
): Promise<HostKeyStatus> {
  return matchHostKey(await loadKnownHosts(file), host, port, keyBlob);
}

/** Appends the host's key to the file (created 0600 in a 0700 directory) unless it is already known. */
export async function recordHostKey(
  file: string,
  host: string,
  port: number,
  keyBlob: Buffer,
): Promise<void> {
  if ((await verifyHostKey(file, host, port, keyBlob)) === 'known') return;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const current = await readFile(file, 'utf8');
    if (current.length > 0 && !current.endsWith('\n')) prefix = '\n';
  } catch {
    // no file yet
  }
  const line = `${knownHostsName(host, port)} ${keyTypeOf(keyBlob)} ${keyBlob.toString('base64')}\n`;
  await appendFile(file, prefix + line, { mode: 0o600 });
}

function hashedMatches(pattern: string, name: string): boolean {
  const [, , salt, hash] = pattern.split('|');
  if (!salt || !hash) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return digest === hash;
}

function wildcardMatches(pattern: string, name: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern.toLowerCase() === name.toLowerCase();
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 'i').test(name);
}
