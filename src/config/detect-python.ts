import type { Detector, DetectContext, KindGuess } from './app-guess.js';
import {
  deriveHealthPath,
  describePortUse,
  hasEntry,
  listNames,
  namesPackage,
  sourcesWith,
  type ProjectFiles,
  type Reasoned,
  type SourceText,
} from './scan-app-source.js';

const DEPENDENCY_FILES = ['requirements.txt', 'pyproject.toml', 'Pipfile', 'setup.py'] as const;
/** Modules that usually hold the app object, most likely first. */
const APP_MODULES = ['wsgi', 'asgi', 'app', 'main', 'application', 'server', 'api'];
const ASGI_FRAMEWORKS = ['fastapi', 'starlette', 'quart', 'litestar'];
const SERVERS = ['gunicorn', 'uvicorn', 'waitress'] as const;
type Server = (typeof SERVERS)[number];

/** A Python project: its WSGI/ASGI server and app object, from the dependency files and the modules. */
export const pythonDetector: Detector = {
  markers: [...DEPENDENCY_FILES, 'manage.py'],
  wants: () => [],
  detect: (files, context) => detectPython(files, context),
};

interface PythonApp {
  /** `module:object` for gunicorn/uvicorn/waitress. */
  target: string;
  why: string[];
  /** The module named, for the Flask dev server. */
  module: string;
}

function detectPython(files: ProjectFiles, { listenHost }: DetectContext): KindGuess {
  const depFiles = DEPENDENCY_FILES.filter((name) => files.texts[name] !== undefined);
  const deps = depFiles.map((name) => files.texts[name] ?? '').join('\n');
  const has = (name: string) => namesPackage(deps, name);
  const sources = sourcesWith(files, ['.py']);
  const django = hasEntry(files, 'manage.py') || has('django');
  const asgi = ASGI_FRAMEWORKS.some(has);
  const servers = SERVERS.filter(has);
  const from = depFiles.length > 0 ? listNames(depFiles) : 'manage.py';
  const run = deriveRun({ files, sources, listenHost, django, asgi, servers, has, from });
  const server = SERVERS.find((s) => run.value.includes(s));
  const venvs = ['.venv', 'venv'].filter((dir) => files.entries.includes(`${dir}/`));
  return {
    description: `a Python project (${from})${server ? `, served by ${server}` : ''}`,
    build: deriveBuild(depFiles, server),
    exclude: {
      value: venvs,
      why:
        venvs.length > 0
          ? [
              `${listNames(venvs)} left out: a virtualenv links outside the project and cannot move to a host.`,
            ]
          : [],
    },
    run,
    healthPath: withDjangoNote(deriveHealthPath(sources), django),
    env: {
      value: { PYTHONUNBUFFERED: '1' },
      why: ['PYTHONUNBUFFERED=1: print and logging output reaches `slipway logs` at once.'],
    },
  };
}

interface RunInputs {
  files: ProjectFiles;
  sources: SourceText[];
  listenHost: string;
  django: boolean;
  asgi: boolean;
  servers: Server[];
  has: (name: string) => boolean;
  from: string;
}

function deriveRun(i: RunInputs): Reasoned<string> {
  // Django has both a WSGI and an ASGI module; uvicorn needs the ASGI one.
  const appFor = (server: Server) =>
    i.django ? findDjangoApp(i.files, server === 'uvicorn') : findAppObject(i.sources);
  const app = appFor('gunicorn');
  const inDeps = (server: Server) => `${server} is in ${i.from}`;
  const serve = (server: Server, why: string[]): Reasoned<string> => {
    const served = appFor(server);
    return { value: serverCommand(server, served.target, i.listenHost), why: [...why, ...served.why] };
  };
  if (i.asgi || (i.servers.includes('uvicorn') && !i.servers.includes('gunicorn'))) {
    return i.servers.includes('uvicorn')
      ? serve('uvicorn', [`An ASGI app; ${inDeps('uvicorn')}.`])
      : serve('uvicorn', [`An ASGI app; no ASGI server in ${i.from}: add uvicorn there.`]);
  }
  const server = i.servers.find((s) => s !== 'uvicorn');
  if (server) return serve(server, [`${inDeps(server)}.`]);
  if (i.django) {
    return {
      value: `python3 manage.py runserver ${i.listenHost}:$PORT --noreload`,
      why: [
        `No WSGI server in ${i.from}: Django's development server, which is not made for production.`,
        `Add gunicorn and use: ${serverCommand('gunicorn', app.target, i.listenHost)}`,
      ],
    };
  }
  if (i.has('flask')) {
    return {
      value: `flask --app ${app.module} run --host ${i.listenHost} --port $PORT`,
      why: [
        `No WSGI server in ${i.from}: Flask's development server, which is not made for production.`,
        `Add gunicorn and use: ${serverCommand('gunicorn', app.target, i.listenHost)}`,
        ...app.why,
      ],
    };
  }
  const script = i.sources.find((s) => /^if\s+__name__\s*==\s*['"]__main__['"]\s*:/m.test(s.text));
  if (script) {
    return {
      value: `python3 ${script.file}`,
      why: [`No web server in ${i.from}; ${script.file} runs itself.`, ...describePortUse(script)],
    };
  }
  return {
    value: 'python3 app.py',
    why: [
      `Warning: no web server (gunicorn, uvicorn, waitress) in ${i.from} and no module that runs itself:`,
      'put the command that starts the app on $PORT here.',
    ],
  };
}

function serverCommand(server: Server, target: string, host: string): string {
  switch (server) {
    case 'gunicorn':
      return `gunicorn --bind ${host}:$PORT ${target}`;
    case 'uvicorn':
      return `uvicorn --host ${host} --port $PORT ${target}`;
    case 'waitress':
      return `waitress-serve --listen=${host}:$PORT ${target}`;
  }
}

/** `mysite.wsgi:application`, from manage.py's DJANGO_SETTINGS_MODULE. */
function findDjangoApp(files: ProjectFiles, asgi: boolean): PythonApp {
  const settings = /DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([\w.]+)\.settings['"]/.exec(
    files.texts['manage.py'] ?? '',
  )?.[1];
  const module = `${settings ?? 'config'}.${asgi ? 'asgi' : 'wsgi'}`;
  return {
    target: `${module}:application`,
    module,
    why: settings
      ? [`manage.py names ${settings}.settings: the app is ${module}.`]
      : [`Warning: manage.py names no DJANGO_SETTINGS_MODULE: assumed ${module}; change it to yours.`],
  };
}

/** The WSGI/ASGI object: `app = Flask(...)`, `def application(environ, …)`, a `create_app()` factory … */
function findAppObject(sources: SourceText[]): PythonApp {
  const rank = (file: string) => {
    const index = APP_MODULES.indexOf(file.replace(/\.py$/, ''));
    return index === -1 ? APP_MODULES.length : index;
  };
  const ordered = [...sources].sort((a, b) => rank(a.file) - rank(b.file));
  const patterns: Array<[RegExp, (name: string) => string]> = [
    [
      /^(\w+)\s*(?::\s*[\w.]+\s*)?=\s*(?:[\w.]+\.)?(?:Flask|FastAPI|Starlette|Quart|Litestar|Bottle|App|API)\s*\(/m,
      (n) => n,
    ],
    [/^(?:async\s+)?def\s+(application|app)\s*\(/m, (n) => n],
    [/^(application|app)\s*=/m, (n) => n],
    [/^def\s+(create_app|make_app)\s*\(\s*\)/m, (n) => `${n}()`],
  ];
  for (const [pattern, object] of patterns) {
    for (const source of ordered) {
      const name = pattern.exec(source.text)?.[1];
      if (name === undefined) continue;
      const module = source.file.replace(/\.py$/, '').replace(/\//g, '.');
      return {
        target: `${module}:${object(name)}`,
        module,
        why: [`The app object: ${object(name)} in ${source.file}.`],
      };
    }
  }
  const fallback = sources.find((s) => APP_MODULES.includes(s.file.replace(/\.py$/, '')));
  const module = fallback ? fallback.file.replace(/\.py$/, '') : 'app';
  return {
    target: `${module}:app`,
    module,
    why: [
      `Warning: no app object found in the top-level modules: assumed ${module}:app; change it to yours.`,
    ],
  };
}

/**
 * No build command: Python's packages come from each host. A virtualenv holds absolute paths and cannot move
 * into a release directory; `pip install --target` into the release can, and the comment says how.
 */
function deriveBuild(depFiles: readonly string[], server: string | undefined): Reasoned<undefined> {
  const install = depFiles.includes('requirements.txt')
    ? 'pip install --target .packages -r requirements.txt'
    : 'pip install --target .packages .';
  const what = depFiles.length > 0 ? `the packages of ${listNames(depFiles)}` : 'its packages';
  const run = server ? `PYTHONPATH=.packages python3 -m ${server} …` : 'PYTHONPATH=.packages python3 …';
  return {
    value: undefined,
    why: [
      `None: the release runs with the python3 on each host and ${what} installed there`,
      "(pip install, or the distribution's python3-* packages). A virtualenv cannot move into a release.",
      'To ship the packages inside each release instead (hosts then need only the same Python version):',
      `command: ${install}`,
      `and run.command: ${run}`,
    ],
  };
}

function withDjangoNote(health: Reasoned<string>, django: boolean): Reasoned<string> {
  if (!django) return health;
  return {
    value: health.value,
    why: [...health.why, 'Django answers 400 to a Host it does not allow: add 127.0.0.1 to ALLOWED_HOSTS.'],
  };
}
