import { describe, expect, it } from 'vitest';
import { detectApp, findAppKinds, listFilesToRead, type AppGuess, type AppKind } from './detect-app.js';
import { renderInitTemplate } from './init-template.js';
import { parseConfig } from './parse-config.js';
import type { ProjectFiles } from './scan-app-source.js';

/** An in-memory project: every path's text; its top-level entries (and `cmd/<x>/`) derived as the loader would. */
function project(texts: Record<string, string>, directories: string[] = []): ProjectFiles {
  const entries = new Set<string>(directories);
  for (const path of Object.keys(texts)) {
    const [first, second] = path.split('/');
    if (second === undefined) entries.add(path);
    else entries.add(`${first}/`);
    if (first === 'cmd' && second !== undefined) entries.add(`cmd/${second}/`);
  }
  return { entries: [...entries].sort(), texts };
}

const json = (value: unknown) => JSON.stringify(value, null, 2);
const nodeServer = `import { createServer } from 'node:http';
createServer((req, res) => res.end(req.url === '/healthz' ? 'ok' : 'hi')).listen(Number(process.env.PORT));
`;
const wsgiApp = `def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok" if environ["PATH_INFO"] == "/health" else b"hi"]
`;

interface Case {
  name: string;
  files: ProjectFiles;
  kind?: AppKind;
  expected: {
    kind: AppGuess['kind'];
    runtime?: AppGuess['runtime'];
    build: string | undefined;
    run: string;
    health: string;
    env?: Record<string, string>;
    exclude?: string[];
    alsoFound?: AppKind[];
    /** Said in a comment of the guess. */
    says?: string[];
  };
}

const CASES: Case[] = [
  {
    name: 'node: start and build scripts, package-lock.json',
    files: project({
      'package.json': json({ scripts: { start: 'node server.js', build: 'node build.js' } }),
      'package-lock.json': '{}',
      'server.js': nodeServer,
    }),
    expected: {
      kind: 'node',
      build: 'npm ci && npm run build',
      run: 'npm start',
      health: '/healthz',
      env: { NODE_ENV: 'production' },
      says: [
        "package.json's start script: node server.js",
        'server.js reads PORT.',
        '"/healthz" appears in server.js',
      ],
    },
  },
  {
    name: 'node: no lockfile, no start script, main in a directory that does not read PORT',
    files: project({
      'package.json': json({ main: 'src/index.js' }),
      'src/index.js': "require('http').createServer().listen(3000);\n",
    }),
    expected: {
      kind: 'node',
      build: 'npm install',
      run: 'node src/index.js',
      health: '/',
      says: ['No lockfile', 'Warning: src/index.js does not mention PORT', 'No health route'],
    },
  },
  {
    name: 'node: server.js is what npm start runs without a start script',
    files: project({ 'package.json': json({ main: 'lib.js' }), 'server.js': nodeServer }),
    expected: { kind: 'node', build: 'npm install', run: 'node server.js', health: '/healthz' },
  },
  {
    name: 'node: yarn.lock, a framework start script',
    files: project({
      'package.json': json({ scripts: { start: 'next start', build: 'next build' } }),
      'yarn.lock': '',
    }),
    expected: {
      kind: 'node',
      build: 'yarn install --frozen-lockfile && yarn run build',
      run: 'yarn start',
      health: '/',
    },
  },
  {
    name: "node: package.json's packageManager field names pnpm",
    files: project({
      'package.json': json({ packageManager: 'pnpm@9.1.0', scripts: { start: 'node a.js' } }),
    }),
    expected: { kind: 'node', build: 'pnpm install --frozen-lockfile', run: 'pnpm start', health: '/' },
  },
  {
    name: 'node: package.json with nothing to start',
    files: project({ 'package.json': '{ not json' }),
    expected: {
      kind: 'node',
      build: 'npm install',
      run: 'npm start',
      health: '/',
      says: ['package.json is not valid JSON', 'no start script, no main'],
    },
  },
  {
    name: 'python: gunicorn in requirements.txt, a plain WSGI callable',
    files: project({ 'requirements.txt': 'gunicorn==20.1.0\n', 'app.py': wsgiApp }, ['.venv/']),
    expected: {
      kind: 'python',
      build: undefined,
      run: 'gunicorn --bind 127.0.0.1:$PORT app:app',
      health: '/health',
      env: { PYTHONUNBUFFERED: '1' },
      exclude: ['.venv'],
      says: [
        'gunicorn is in requirements.txt.',
        'The app object: app in app.py.',
        'command: pip install --target .packages -r requirements.txt',
        'PYTHONPATH=.packages python3 -m gunicorn',
      ],
    },
  },
  {
    name: 'python: Flask and gunicorn, the app made in wsgi.py',
    files: project({
      'requirements.txt': '# web\nFlask>=3\ngunicorn\nflask-cors\n',
      'app.py': 'from flask import Flask\n\ndef create_app():\n    app = Flask(__name__)\n    return app\n',
      'wsgi.py': 'from app import create_app\n\napp = create_app()\n',
    }),
    expected: {
      kind: 'python',
      build: undefined,
      run: 'gunicorn --bind 127.0.0.1:$PORT wsgi:app',
      health: '/',
    },
  },
  {
    name: 'python: FastAPI and uvicorn in pyproject.toml (poetry)',
    files: project({
      'pyproject.toml':
        '[tool.poetry.dependencies]\npython = "^3.11"\nfastapi = "^0.110"\nuvicorn = {extras = ["standard"], version = "*"}\n',
      'main.py':
        'from fastapi import FastAPI\n\napi: FastAPI = FastAPI()\n\n@api.get("/healthz")\ndef health():\n    return {}\n',
    }),
    expected: {
      kind: 'python',
      build: undefined,
      run: 'uvicorn --host 127.0.0.1 --port $PORT main:api',
      health: '/healthz',
      says: ['An ASGI app; uvicorn is in pyproject.toml.', 'pip install --target .packages .'],
    },
  },
  {
    name: 'python: FastAPI without an ASGI server',
    files: project({
      'requirements.txt': 'fastapi\n',
      'app.py': 'from fastapi import FastAPI\napp = FastAPI()\n',
    }),
    expected: {
      kind: 'python',
      build: undefined,
      run: 'uvicorn --host 127.0.0.1 --port $PORT app:app',
      health: '/',
      says: ['no ASGI server in requirements.txt: add uvicorn there'],
    },
  },
  {
    name: 'python: Django with gunicorn, the WSGI module from manage.py',
    files: project({
      'requirements.txt': 'Django==5.0\ngunicorn\ndjango-environ\n',
      'manage.py': "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n",
    }),
    expected: {
      kind: 'python',
      build: undefined,
      run: 'gunicorn --bind 127.0.0.1:$PORT mysite.wsgi:application',
      health: '/',
      says: ['manage.py names mysite.settings', 'ALLOWED_HOSTS'],
    },
  },
  {
    name: 'python: Django with uvicorn takes the ASGI module',
    files: project({
      'requirements.txt': 'django\nuvicorn\n',
      'manage.py': 'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")\n',
    }),
    expected: {
      kind: 'python',
      build: undefined,
      run: 'uvicorn --host 127.0.0.1 --port $PORT shop.asgi:application',
      health: '/',
    },
  },
  {
    name: 'python: Django without a server runs its development server',
    files: project({
      'requirements.txt': 'django\n',
      'manage.py': "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n",
    }),
    expected: {
      kind: 'python',
      build: undefined,
      run: 'python3 manage.py runserver 127.0.0.1:$PORT --noreload',
      health: '/',
      says: ['Add gunicorn and use: gunicorn --bind 127.0.0.1:$PORT mysite.wsgi:application'],
    },
  },
  {
    name: 'python: Flask without a server runs its development server',
    files: project({ Pipfile: '[packages]\nflask = "*"\n', 'app.py': 'app = Flask(__name__)\n' }),
    expected: {
      kind: 'python',
      build: undefined,
      run: 'flask --app app run --host 127.0.0.1 --port $PORT',
      health: '/',
    },
  },
  {
    name: 'python: waitress',
    files: project({ 'requirements.txt': 'waitress\n', 'server.py': 'application = make_app()\n' }),
    expected: {
      kind: 'python',
      build: undefined,
      run: 'waitress-serve --listen=127.0.0.1:$PORT server:application',
      health: '/',
    },
  },
  {
    name: 'python: no server, a module that runs itself',
    files: project({
      'requirements.txt': '',
      'serve.py': 'import os\nif __name__ == "__main__":\n    run(int(os.environ["PORT"]))\n',
    }),
    expected: {
      kind: 'python',
      build: undefined,
      run: 'python3 serve.py',
      health: '/',
      says: ['serve.py runs itself', 'serve.py reads PORT.'],
    },
  },
  {
    name: "python: a Procfile's web process wins over the guess",
    files: project({
      'requirements.txt': 'gunicorn\n',
      'app.py': wsgiApp,
      Procfile: 'release: ./migrate\nweb: gunicorn -w 4 -b 127.0.0.1:$PORT app:app\n',
    }),
    expected: {
      kind: 'python',
      build: undefined,
      run: 'gunicorn -w 4 -b 127.0.0.1:$PORT app:app',
      health: '/health',
      says: ["The Procfile's web process", 'Without the Procfile the guess would be: gunicorn --bind'],
    },
  },
  {
    name: 'ruby: Rails with its /up route',
    files: project({
      Gemfile: 'source "https://rubygems.org"\ngem "rails", "~> 7.1"\ngem "puma"\n',
      'Gemfile.lock': '',
      'config/routes.rb':
        'Rails.application.routes.draw do\n  get "up" => "rails/health#show", as: :rails_health_check\nend\n',
    }),
    expected: {
      kind: 'ruby',
      build: 'BUNDLE_FROZEN=true BUNDLE_PATH=vendor/bundle BUNDLE_WITHOUT=development:test bundle install',
      run: 'bundle exec rails server -b 127.0.0.1 -p $PORT',
      health: '/up',
      env: {
        BUNDLE_PATH: 'vendor/bundle',
        BUNDLE_WITHOUT: 'development:test',
        RAILS_ENV: 'production',
        RAILS_LOG_TO_STDOUT: '1',
      },
      says: ['SECRET_KEY_BASE'],
    },
  },
  {
    name: 'ruby: Puma and config.ru',
    files: project({
      Gemfile: "gem 'puma'\ngem 'rack'\n",
      'config.ru': 'run ->(env) { [200, {}, [env["PATH_INFO"] == "/ping" ? "pong" : "hi"]] }\n',
    }),
    expected: {
      kind: 'ruby',
      build: 'BUNDLE_PATH=vendor/bundle BUNDLE_WITHOUT=development:test bundle install',
      run: 'bundle exec puma -b tcp://127.0.0.1:$PORT',
      health: '/ping',
      says: ['No Gemfile.lock'],
    },
  },
  {
    name: 'ruby: a classic Sinatra app',
    files: project({ Gemfile: 'gem "sinatra"\n', 'app.rb': "require 'sinatra'\nget('/health') { 'ok' }\n" }),
    expected: {
      kind: 'ruby',
      build: 'BUNDLE_PATH=vendor/bundle BUNDLE_WITHOUT=development:test bundle install',
      run: 'bundle exec ruby app.rb -o 127.0.0.1 -p $PORT',
      health: '/health',
    },
  },
  {
    name: 'go: package main at the top',
    files: project({
      'go.mod': 'module github.com/acme/shop/v2\n\ngo 1.22\n',
      'main.go':
        'package main\n\nfunc main() {\n\thttp.HandleFunc("/healthz", ok)\n\thttp.ListenAndServe(":"+os.Getenv("PORT"), nil)\n}\n',
    }),
    expected: {
      kind: 'go',
      build: 'CGO_ENABLED=0 go build -o bin/shop .',
      run: './bin/shop',
      health: '/healthz',
      env: {},
      says: ['main.go is package main.', 'main.go reads PORT.'],
    },
  },
  {
    name: 'go: main packages under cmd/',
    files: project({
      'go.mod': 'module example.com/shop\n',
      'cmd/server/main.go': 'package main\n// serves "/livez"\n',
      'cmd/migrate/main.go': 'package main\n',
    }),
    expected: {
      kind: 'go',
      build: 'CGO_ENABLED=0 go build -o bin/server ./cmd/server',
      run: './bin/server',
      health: '/livez',
      says: ['Also under cmd/: cmd/migrate', 'Warning: cmd/server/main.go does not mention PORT'],
    },
  },
  {
    name: 'docker: the CMD in exec form; package.json also there',
    files: project({
      Dockerfile: 'FROM node:20\nWORKDIR /app\nCOPY . .\nEXPOSE 3000\nCMD ["node", "server.js"]\n',
      'package.json': json({ scripts: { start: 'node server.js' } }),
      'server.js': nodeServer,
    }),
    expected: {
      kind: 'docker',
      runtime: 'docker',
      build: undefined,
      run: 'node server.js',
      health: '/healthz',
      env: {},
      alsoFound: ['node'],
      says: ["The Dockerfile's CMD", 'EXPOSE 3000 is not used', 'all interfaces (0.0.0.0)'],
    },
  },
  {
    name: "docker: no CMD in the last stage, so the language's guess, listening on all interfaces",
    files: project({
      Dockerfile: 'FROM python:3.12 AS build\nCMD ["x"]\nFROM python:3.12-slim\nCOPY --from=build /a /a\n',
      'requirements.txt': 'gunicorn\n',
      'wsgi.py': 'application = make()\n',
    }),
    expected: {
      kind: 'docker',
      runtime: 'docker',
      build: undefined,
      run: 'gunicorn --bind 0.0.0.0:$PORT wsgi:application',
      health: '/',
      alsoFound: ['python'],
      says: ['No CMD in the Dockerfile'],
    },
  },
  {
    name: 'docker: a shell-form CMD over lines, and an ENTRYPOINT',
    files: project({
      Dockerfile: 'FROM alpine\n# start\nENTRYPOINT ["/entry.sh"]\nCMD ./server \\\n  --port "$PORT"\n',
    }),
    expected: {
      kind: 'docker',
      runtime: 'docker',
      build: undefined,
      run: './server --port "$PORT"',
      health: '/',
      says: ['Warning: the ENTRYPOINT ["/entry.sh"] stays'],
    },
  },
  {
    name: '--kind node with a Dockerfile there: processes',
    kind: 'node',
    files: project({
      Dockerfile: 'FROM node\nCMD ["npm","start"]\n',
      'package.json': json({ scripts: { start: 's' } }),
    }),
    expected: {
      kind: 'node',
      runtime: 'process',
      build: 'npm install',
      run: 'npm start',
      health: '/',
      alsoFound: ['docker'],
    },
  },
  {
    name: 'go.mod before package.json (tooling beside the app)',
    files: project({ 'go.mod': 'module shop\n', 'main.go': 'package main\n', 'package.json': '{}' }),
    expected: {
      kind: 'go',
      build: 'CGO_ENABLED=0 go build -o bin/shop .',
      run: './bin/shop',
      health: '/',
      alsoFound: ['node'],
    },
  },
  {
    name: 'nothing recognisable: the starter placeholders',
    files: project({ 'README.md': '# hi\n' }),
    expected: {
      kind: 'unknown',
      build: undefined,
      run: 'npm start',
      health: '/healthz',
      env: {},
      says: ['A placeholder: the command that starts the app'],
    },
  },
];

describe('detectApp', () => {
  it.each(CASES)('$name', ({ files, kind, expected }) => {
    const guess = detectApp(files, kind ? { kind } : {});
    expect({
      kind: guess.kind,
      runtime: guess.runtime,
      build: guess.build.value,
      run: guess.run.value,
      health: guess.healthPath.value,
    }).toEqual({
      kind: expected.kind,
      runtime: expected.runtime ?? 'process',
      build: expected.build,
      run: expected.run,
      health: expected.health,
    });
    if (expected.env) expect(guess.env.value).toEqual(expected.env);
    expect(guess.exclude.value).toEqual(expected.exclude ?? []);
    expect(guess.alsoFound).toEqual(expected.alsoFound ?? []);
    const reasons = [guess.build, guess.exclude, guess.run, guess.healthPath, guess.env].flatMap(
      (r) => r.why,
    );
    for (const text of expected.says ?? []) {
      expect(
        reasons.some((line) => line.includes(text)),
        `a reason says "${text}":\n${reasons.join('\n')}`,
      ).toBe(true);
    }
  });
});

describe('renderInitTemplate with a guess', () => {
  it.each(CASES)(
    '$name: validates, with the guessed values and their reasons as comments',
    ({ files, kind }) => {
      const guess = detectApp(files, kind ? { kind } : {});
      const text = renderInitTemplate({ app: 'shop', port: 8080, guess });
      const result = parseConfig(text, 'slipway.yml');
      expect('issues' in result ? result.issues : []).toEqual([]);
      if ('issues' in result) return;
      const { config } = result;
      expect(config.build.command).toBe(guess.build.value);
      expect(config.build.exclude).toEqual(guess.exclude.value);
      expect(config.run.command).toBe(guess.run.value);
      expect(config.healthCheck.path).toBe(guess.healthPath.value);
      expect(config.env).toEqual(guess.env.value);
      expect(config.runtime.kind).toBe(guess.runtime);
      const commentLines = text.split('\n').filter((line) => line.trimStart().startsWith('#'));
      for (const why of [guess.build, guess.run, guess.healthPath, guess.env].flatMap((r) => r.why)) {
        expect(
          commentLines.some((line) => line.endsWith(`# ${why}`)),
          why,
        ).toBe(true);
      }
      expect(text).toContain(
        guess.kind === 'unknown' ? 'did not recognise this project' : `found ${guess.description}`,
      );
      for (const other of guess.alsoFound) expect(text).toContain(`slipway init --force --kind ${other}`);
    },
  );

  it('keeps a command that YAML would misread a string', () => {
    const files = project({ Dockerfile: 'FROM x\nCMD echo "a: b" # c\n' });
    const text = renderInitTemplate({ app: 'shop', port: 8080, guess: detectApp(files) });
    const result = parseConfig(text, 'slipway.yml');
    expect('config' in result && result.config.run.command).toBe('echo "a: b" # c');
  });
});

describe('findAppKinds and listFilesToRead', () => {
  it('find every kind present, in the order init prefers them', () => {
    const files = project({
      'package.json': '{}',
      'pyproject.toml': '',
      Gemfile: '',
      'go.mod': '',
      Dockerfile: '',
    });
    expect(findAppKinds(files)).toEqual(['docker', 'go', 'ruby', 'python', 'node']);
  });

  it('read the markers and top-level sources first, then the files they name', () => {
    const first = {
      entries: [
        'Procfile',
        'README.md',
        'cmd/',
        'cmd/api/',
        'go.mod',
        'main.go',
        'node_modules/',
        'package.json',
        'src/',
      ],
      texts: {},
    };
    expect(listFilesToRead(first).sort()).toEqual(
      ['Procfile', 'cmd/api/main.go', 'go.mod', 'main.go', 'package.json'].sort(),
    );
    const second = { ...first, texts: { 'package.json': json({ main: './src/server.js' }) } };
    expect(listFilesToRead(second)).toContain('src/server.js');
    const outside = { ...first, texts: { 'package.json': json({ main: '../secret.js' }) } };
    expect(listFilesToRead(outside).some((path) => path.includes('..'))).toBe(false);
  });
});
