import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { SecureContext } from 'node:tls';
import { SlipwayError } from '../../core/errors.js';
import { certificateNames, selectCertificate } from './certificate-names.js';
import { createRouterSecureContext } from './tls-settings.js';

/** One certificate to serve: a PEM chain (leaf first) and its PEM private key. */
export interface CertificateFiles {
  certFile: string;
  keyFile: string;
  /** How the store, its errors and `defaultCertificate` name it; the cert file's path by default. */
  id?: string;
}

/** What is known of a certificate being served (nothing secret: no key, no client's details). */
export interface CertificateInfo {
  id: string;
  certFile: string;
  keyFile: string;
  /** The DNS names it covers (subjectAltName), `*.example.com` wildcards included. */
  names: string[];
  subject: string;
  issuer: string;
  notBeforeMs: number;
  notAfterMs: number;
  /** SHA-256 fingerprint of the leaf, `AB:CD:…`. */
  fingerprint256: string;
  /** When this version of the files was loaded (the store's clock). */
  loadedAtMs: number;
}

export interface CertificateStoreOptions {
  certificates: readonly CertificateFiles[];
  /**
   * The id of the certificate that answers a client sending no server name (SNI) or one no certificate covers.
   * Without it such a handshake fails: a name is never given another name's certificate.
   */
  defaultCertificate?: string | null;
  /**
   * A changed file that does not load (unreadable, not PEM, key and certificate that do not match): the
   * certificate loaded before keeps serving. Called once per broken version of the files.
   */
  onError?: (err: CertificateLoadError) => void;
  /** A certificate was loaded again from changed files; new handshakes use it from now on. */
  onReload?: (info: CertificateInfo) => void;
  /** Watch the files (fs.watch on their directories; default true). */
  watch?: boolean;
  /** Changes within this window are read once (default 200 ms): writers often write cert and key apart. */
  debounceMs?: number;
  /** Re-read the files this often anyway, for changes fs.watch misses (default 60 s; 0: never). */
  recheckMs?: number;
  /** The clock of `loadedAtMs` (default Date.now). */
  nowMs?: () => number;
}

/** A certificate's files could not be loaded. The message names the files and the reason, never their content. */
export class CertificateLoadError extends SlipwayError {
  constructor(
    readonly certificateId: string,
    message: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(message, options);
  }
}

interface Loaded {
  info: CertificateInfo;
  context: SecureContext;
  names: string[];
  cert: string;
  key: string;
  /** Hash of the cert and key files' bytes as loaded: a re-read that finds the same skips the rest. */
  digest: string;
}

interface Entry {
  files: Required<CertificateFiles>;
  loaded: Loaded;
  /** Digest of the last version that failed to load: reported once, not at every re-read. */
  failedDigest: string | null;
}

/**
 * The certificates a TLS listener serves, chosen by SNI (`selectCertificate`), reloaded when their files change.
 * A reload builds a new SecureContext and swaps it in: handshakes from then on use it, connections already open
 * keep theirs. A changed file that does not load leaves the previous certificate serving and is reported through
 * `onError`. Loading at start throws instead (`CertificateStore.load`).
 */
export class CertificateStore {
  #entries: Entry[] = [];
  #defaultId: string | null = null;
  readonly #options: CertificateStoreOptions;
  readonly #watchers = new Map<string, FSWatcher>();
  readonly #defaultListeners = new Set<() => void>();
  #debounce: NodeJS.Timeout | null = null;
  #recheck: NodeJS.Timeout | null = null;
  #rechecking: Promise<void> | null = null;
  #recheckAgain = false;
  #closed = false;

  private constructor(options: CertificateStoreOptions) {
    this.#options = options;
  }

  /** Loads every certificate (throws a CertificateLoadError naming the first that fails) and starts watching. */
  static async load(options: CertificateStoreOptions): Promise<CertificateStore> {
    const store = new CertificateStore(options);
    await store.configure(options.certificates, options.defaultCertificate ?? null);
    return store;
  }

  /**
   * Serves this list from now on: certificates already loaded from the same files are kept as they are, new ones
   * loaded (all or nothing: a failure throws and changes nothing), missing ones dropped.
   */
  async configure(
    certificates: readonly CertificateFiles[],
    defaultCertificate: string | null,
  ): Promise<void> {
    const files = certificates.map((c) => {
      const certFile = resolve(c.certFile);
      return { certFile, keyFile: resolve(c.keyFile), id: c.id ?? c.certFile };
    });
    const ids = new Set<string>();
    for (const f of files) {
      if (ids.has(f.id)) throw new SlipwayError(`two certificates have the id ${f.id}`);
      ids.add(f.id);
    }
    if (defaultCertificate !== null && !ids.has(defaultCertificate)) {
      throw new SlipwayError(`the default certificate ${defaultCertificate} is not among the certificates`, {
        hint: `name one of: ${[...ids].join(', ') || '(none)'}`,
      });
    }
    const entries = await Promise.all(
      files.map(async (f): Promise<Entry> => {
        const same = this.#entries.find(
          (e) => e.files.id === f.id && e.files.certFile === f.certFile && e.files.keyFile === f.keyFile,
        );
        if (same !== undefined) return same;
        const loaded = await this.#loadFiles(f);
        return { files: f, loaded, failedDigest: null };
      }),
    );
    const defaultBefore = this.#defaultEntry()?.loaded;
    this.#entries = entries;
    this.#defaultId = defaultCertificate;
    if (this.#defaultEntry()?.loaded !== defaultBefore) this.#defaultChanged();
    this.#watchFiles();
  }

  /** The context for a handshake with this server name (null: none sent); null when the handshake must fail. */
  contextFor(serverName: string | null): SecureContext | null {
    const entries = this.#entries;
    const index = selectCertificate(
      serverName,
      entries.map((e) => e.loaded),
      this.#defaultIndex(),
    );
    return index === null ? null : entries[index]!.loaded.context;
  }

  /** For `tls.createServer({ SNICallback })`: an unknown name without a default fails the handshake. */
  readonly sniCallback = (serverName: string, cb: (err: Error | null, ctx?: SecureContext) => void): void => {
    const context = this.contextFor(serverName);
    if (context === null) cb(new Error('no certificate for the requested server name'));
    else cb(null, context);
  };

  /** True when a certificate covers `hostname` itself (the default certificate standing in does not count). */
  covers(hostname: string): boolean {
    const entries = this.#entries;
    return (
      hostname !== '' &&
      selectCertificate(
        hostname,
        entries.map((e) => e.loaded),
      ) !== null
    );
  }

  /** The default certificate's chain and key, for the server's own context (clients without SNI); null: none. */
  defaultCredentials(): { cert: string; key: string } | null {
    const loaded = this.#defaultEntry()?.loaded;
    return loaded === undefined ? null : { cert: loaded.cert, key: loaded.key };
  }

  /** Called whenever the default certificate changes (reloaded, or another one configured). */
  onDefaultChange(listener: () => void): () => void {
    this.#defaultListeners.add(listener);
    return () => this.#defaultListeners.delete(listener);
  }

  /** The certificates served now, in the configured order. */
  certificates(): CertificateInfo[] {
    return this.#entries.map((e) => ({ ...e.loaded.info, names: [...e.loaded.info.names] }));
  }

  /** Re-reads every file now and swaps in what changed (what the watcher does after a change). */
  recheck(): Promise<void> {
    if (this.#rechecking !== null) {
      this.#recheckAgain = true;
      return this.#rechecking;
    }
    const run = async (): Promise<void> => {
      do {
        this.#recheckAgain = false;
        for (const entry of this.#entries) await this.#recheckEntry(entry);
      } while (this.#recheckAgain && !this.#closed);
    };
    this.#rechecking = run().finally(() => {
      this.#rechecking = null;
    });
    return this.#rechecking;
  }

  /** Stops watching. Contexts handed out stay valid. */
  close(): void {
    this.#closed = true;
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
    if (this.#debounce !== null) clearTimeout(this.#debounce);
    if (this.#recheck !== null) clearInterval(this.#recheck);
    this.#debounce = this.#recheck = null;
  }

  #defaultIndex(): number | null {
    if (this.#defaultId === null) return null;
    const index = this.#entries.findIndex((e) => e.files.id === this.#defaultId);
    return index === -1 ? null : index;
  }

  #defaultEntry(): Entry | undefined {
    const index = this.#defaultIndex();
    return index === null ? undefined : this.#entries[index];
  }

  #defaultChanged(): void {
    for (const listener of this.#defaultListeners) listener();
  }

  async #recheckEntry(entry: Entry): Promise<void> {
    let bytes: { cert: Buffer; key: Buffer };
    try {
      bytes = await readPair(entry.files);
    } catch (err) {
      this.#failed(entry, `unreadable:${(err as NodeJS.ErrnoException).code ?? ''}`, err);
      return;
    }
    const digest = digestOf(bytes);
    if (digest === entry.loaded.digest || digest === entry.failedDigest) return;
    let loaded: Loaded;
    try {
      loaded = this.#parse(entry.files, bytes, digest);
    } catch (err) {
      this.#failed(entry, digest, err);
      return;
    }
    if (!this.#entries.includes(entry)) return; // configured away meanwhile
    entry.loaded = loaded;
    entry.failedDigest = null;
    if (entry === this.#defaultEntry()) this.#defaultChanged();
    this.#options.onReload?.(loaded.info);
  }

  #failed(entry: Entry, digest: string, err: unknown): void {
    if (entry.failedDigest === digest) return;
    entry.failedDigest = digest;
    this.#options.onError?.(loadError(entry.files, err, 'the previous one keeps serving'));
  }

  async #loadFiles(files: Required<CertificateFiles>): Promise<Loaded> {
    try {
      const bytes = await readPair(files);
      return this.#parse(files, bytes, digestOf(bytes));
    } catch (err) {
      throw loadError(files, err, null);
    }
  }

  #parse(files: Required<CertificateFiles>, bytes: { cert: Buffer; key: Buffer }, digest: string): Loaded {
    const cert = bytes.cert.toString('utf8');
    const key = bytes.key.toString('utf8');
    const leaf = new X509Certificate(cert);
    if (!leaf.checkPrivateKey(createPrivateKey(key))) {
      throw new Error('the private key does not belong to the certificate');
    }
    const context = createRouterSecureContext(cert, key);
    const names = certificateNames(leaf.subjectAltName, leaf.subject);
    if (names.length === 0) throw new Error('the certificate names no DNS name');
    const info: CertificateInfo = {
      id: files.id,
      certFile: files.certFile,
      keyFile: files.keyFile,
      names,
      subject: leaf.subject,
      issuer: leaf.issuer,
      notBeforeMs: Date.parse(leaf.validFrom),
      notAfterMs: Date.parse(leaf.validTo),
      fingerprint256: leaf.fingerprint256,
      loadedAtMs: (this.#options.nowMs ?? Date.now)(),
    };
    return { info, context, names, cert, key, digest };
  }

  #watchFiles(): void {
    if (this.#closed || this.#options.watch === false) return;
    // A directory, not the file: certificates are usually replaced by a rename (or a symlink switched), after
    // which a watch on the old file would see nothing more.
    const dirs = new Set(this.#entries.flatMap((e) => [dirname(e.files.certFile), dirname(e.files.keyFile)]));
    for (const [dir, watcher] of this.#watchers) {
      if (!dirs.has(dir)) {
        watcher.close();
        this.#watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (this.#watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, { persistent: false }, (_event, name) => this.#changed(dir, name));
        watcher.on('error', () => {
          watcher.close();
          this.#watchers.delete(dir); // the periodic re-read still sees changes
        });
        this.#watchers.set(dir, watcher);
      } catch {
        // No watch here (the directory is gone, or no inotify left): the periodic re-read still sees changes.
      }
    }
    const every = this.#options.recheckMs ?? 60_000;
    if (this.#recheck === null && every > 0) {
      this.#recheck = setInterval(() => void this.recheck(), every);
      this.#recheck.unref();
    }
  }

  #changed(dir: string, name: string | Buffer | null): void {
    if (this.#closed) return;
    const file = name === null ? null : name.toString();
    const ours =
      file === null ||
      this.#entries.some(
        (e) =>
          (dirname(e.files.certFile) === dir && basename(e.files.certFile) === file) ||
          (dirname(e.files.keyFile) === dir && basename(e.files.keyFile) === file),
      );
    if (!ours) return;
    if (this.#debounce !== null) clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      this.#debounce = null;
      void this.recheck();
    }, this.#options.debounceMs ?? 200);
    this.#debounce.unref();
  }
}

async function readPair(files: CertificateFiles): Promise<{ cert: Buffer; key: Buffer }> {
  const [cert, key] = await Promise.all([readFile(files.certFile), readFile(files.keyFile)]);
  return { cert, key };
}

function digestOf(bytes: { cert: Buffer; key: Buffer }): string {
  return createHash('sha256').update(bytes.cert).update('\0').update(bytes.key).digest('hex');
}

function loadError(
  files: Required<CertificateFiles>,
  err: unknown,
  after: string | null,
): CertificateLoadError {
  const code = (err as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT'
      ? 'a file is missing'
      : code === 'EACCES'
        ? 'a file is not readable by the router'
        : err instanceof Error
          ? err.message
          : String(err);
  const tail = after === null ? '' : `; ${after}`;
  return new CertificateLoadError(
    files.id,
    `certificate ${files.id} (${files.certFile}, key ${files.keyFile}) does not load: ${reason}${tail}`,
    {
      cause: err,
      hint: 'give a PEM certificate chain (leaf first) and the PEM private key that belongs to it',
    },
  );
}
