/**
 * Small, pure readings of a project's files that every kind of `slipway init` guess shares: which health
 * route the source names, whether it reads PORT, the web process of a Procfile, package names in a dependency
 * file. Heuristics, each said in the comment the guess writes, so that a wrong one is easy to spot.
 */

/** A project as `slipway init` sees it: what is there, and the texts of the few files it read. */
export interface ProjectFiles {
  /** Entries of the project directory: `name` for a file, `name/` for a directory; also `cmd/<name>/`. */
  entries: readonly string[];
  /** Texts of the files read, by path relative to the project directory (`/`-separated). */
  texts: Readonly<Record<string, string>>;
}

export interface SourceText {
  file: string;
  text: string;
}

/** A guessed value and the comment lines that say why. */
export interface Reasoned<T> {
  value: T;
  why: string[];
}

/** Routes that answer "I am up" by convention, most specific first. */
const HEALTH_PATHS = [
  '/healthz',
  '/health',
  '/healthcheck',
  '/health-check',
  '/_health',
  '/livez',
  '/readyz',
  '/ping',
  '/up',
  '/status',
] as const;

export function hasEntry(files: ProjectFiles, name: string): boolean {
  return files.entries.includes(name) || files.texts[name] !== undefined;
}

/** The texts read whose names end with one of `extensions` (e.g. `.py`), in a stable order. */
export function sourcesWith(files: ProjectFiles, extensions: readonly string[]): SourceText[] {
  return Object.entries(files.texts)
    .filter(([file]) => extensions.some((ext) => file.endsWith(ext)))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([file, text]) => ({ file, text }));
}

/** The first conventional health route written as a string literal in the sources, with the file. */
export function findHealthPath(sources: readonly SourceText[]): { path: string; file: string } | undefined {
  for (const path of HEALTH_PATHS) {
    const literal = new RegExp(`['"\`]${path}/?['"\`]`);
    const source = sources.find((s) => literal.test(s.text));
    if (source) return { path, file: source.file };
  }
  return undefined;
}

/** The health check path: a route the sources name, else `/` (which most apps answer), saying which. */
export function deriveHealthPath(sources: readonly SourceText[]): Reasoned<string> {
  const found = findHealthPath(sources);
  if (found) {
    return {
      value: found.path,
      why: [`"${found.path}" appears in ${found.file}: taken to be its health route.`],
    };
  }
  const looked = sources.length > 0 ? ` in ${listNames(sources.map((s) => s.file))}` : '';
  return {
    value: '/',
    why: [
      `No health route (/healthz, /health, /ping …) found${looked}: "/" is checked instead.`,
      'A cheap route that answers 2xx once the app is ready is better; put its path here.',
    ],
  };
}

/** A comment line on whether `source` reads PORT; the app must listen where Slipway says. */
export function describePortUse(source: SourceText | undefined): string[] {
  if (!source) return [];
  return /\bPORT\b/.test(source.text)
    ? [`${source.file} reads PORT.`]
    : [`Warning: ${source.file} does not mention PORT; the app must listen on the port in $PORT.`];
}

/** The `web:` command of a Procfile (Heroku's convention, which also starts the app on $PORT). */
export function parseProcfileWeb(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const match = /^web:[ \t]*(\S.*?)[ \t]*$/m.exec(text);
  return match?.[1];
}

/**
 * Whether a dependency file names `name` as a package: a requirements.txt line, a TOML key or quoted string.
 * `flask` does not match `flask-cors`; extras (`uvicorn[standard]`) do match; `# comments` are not read.
 */
export function namesPackage(text: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const withoutComments = text.replace(/(^|\s)#.*$/gm, '$1');
  return new RegExp(`(^|[\\s"'\\[,(])${escaped}(\\[[^\\]]*\\])?(?=$|[\\s"'<>=~!;,\\])@])`, 'im').test(
    withoutComments,
  );
}

/** `a`, `a and b`, `a, b and c`. */
export function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`;
}

/** A word of `argv` as `sh -c` reads it back: quoted only when it has to be. */
export function quoteShellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
