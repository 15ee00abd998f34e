import { APP_KINDS, type AppGuess, type AppKind, type Detector, type KindGuess } from './app-guess.js';
import { DEFAULTS } from './defaults.js';
import { dockerDetector } from './detect-docker.js';
import { goDetector } from './detect-go.js';
import { nodeDetector } from './detect-node.js';
import { pythonDetector } from './detect-python.js';
import { rubyDetector } from './detect-ruby.js';
import { hasEntry, parseProcfileWeb, type ProjectFiles } from './scan-app-source.js';

export { APP_KINDS, type AppGuess, type AppKind } from './app-guess.js';
export type { ProjectFiles } from './scan-app-source.js';

/** Every kind has a detector: a new kind without one does not compile. */
const DETECTORS: { readonly [K in AppKind]: Detector } = {
  docker: dockerDetector,
  go: goDetector,
  ruby: rubyDetector,
  python: pythonDetector,
  node: nodeDetector,
};

/** Top-level files read for their text (health routes, PORT, app objects); larger ones are skipped. */
const SOURCE_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.py', '.rb', '.go', '.ru'];
const MAX_SOURCES = 40;
/** Named files read wherever they exist; the markers of every kind are read as well. */
const ALWAYS_READ = ['Procfile'];

/** The kinds whose marker files are in the project, in the order `slipway init` prefers them. */
export function findAppKinds(files: ProjectFiles): AppKind[] {
  return APP_KINDS.filter((kind) => DETECTORS[kind].markers.some((marker) => hasEntry(files, marker)));
}

/**
 * The files whose texts `detectApp` uses, given what is known so far: the markers and top-level sources first;
 * with their texts, the further files a kind wants (the entry file package.json names, config/routes.rb …).
 * The loader reads until this list has nothing new. Pure.
 */
export function listFilesToRead(files: ProjectFiles): string[] {
  const named = [...ALWAYS_READ, ...APP_KINDS.flatMap((kind) => DETECTORS[kind].markers)];
  const sources = files.entries
    .filter((entry) => SOURCE_EXTENSIONS.some((ext) => entry.endsWith(ext)))
    .sort()
    .slice(0, MAX_SOURCES);
  const wanted = findAppKinds(files).flatMap((kind) => DETECTORS[kind].wants(files));
  const all = [...named.filter((name) => files.entries.includes(name)), ...sources, ...wanted];
  return [...new Set(all)].filter((path) => !path.startsWith('/') && !path.split('/').includes('..'));
}

/**
 * What `slipway init` writes for a project: the kind (the first one found, or `kind` when asked), and its
 * build, run command, health path and env, each with the reasons the comments give. Pure: files in, guess out.
 */
export function detectApp(files: ProjectFiles, options: { kind?: AppKind } = {}): AppGuess {
  const found = findAppKinds(files);
  const kind = options.kind ?? found[0];
  if (kind === undefined) return unknownGuess();
  const alsoFound = found.filter((k) => k !== kind);
  if (kind === 'docker') {
    const language = alsoFound[0];
    const inner =
      language === undefined
        ? undefined
        : { kind: language, guess: DETECTORS[language].detect(files, { listenHost: '0.0.0.0' }) };
    const guess = dockerDetector.detect(
      files,
      inner ? { listenHost: '0.0.0.0', inner } : { listenHost: '0.0.0.0' },
    );
    return { ...guess, kind, runtime: 'docker', alsoFound };
  }
  const guess = withProcfile(DETECTORS[kind].detect(files, { listenHost: '127.0.0.1' }), files);
  return { ...guess, kind, runtime: 'process', alsoFound };
}

/** A Procfile's web process is what the project itself says starts it on $PORT: it wins over a guess. */
function withProcfile(guess: KindGuess, files: ProjectFiles): KindGuess {
  const web = parseProcfileWeb(files.texts.Procfile);
  if (web === undefined) return guess;
  return {
    ...guess,
    run: {
      value: web,
      why: [
        "The Procfile's web process (it must start the app on $PORT).",
        `Without the Procfile the guess would be: ${guess.run.value}`,
      ],
    },
  };
}

function unknownGuess(): AppGuess {
  const markers = APP_KINDS.flatMap((kind) => DETECTORS[kind].markers);
  return {
    kind: 'unknown',
    runtime: 'process',
    alsoFound: [],
    description: `no ${markers.slice(0, -1).join(', ')} or ${markers.at(-1) ?? ''} here`,
    build: { value: undefined, why: [] },
    exclude: { value: [], why: [] },
    run: { value: 'npm start', why: ['A placeholder: the command that starts the app, listening on $PORT.'] },
    healthPath: {
      value: DEFAULTS.healthCheck.path,
      why: ['A placeholder: the path of a route that answers 2xx once the app is ready.'],
    },
    env: { value: {}, why: [] },
  };
}
