import { noExclude, type Detector, type KindGuess } from './app-guess.js';
import {
  deriveHealthPath,
  describePortUse,
  hasEntry,
  sourcesWith,
  type ProjectFiles,
  type Reasoned,
} from './scan-app-source.js';

const NODE_SOURCES = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];

interface PackageJson {
  scripts: Record<string, string>;
  main: string | undefined;
  packageManager: string | undefined;
}

type PackageManager = 'npm' | 'yarn' | 'pnpm';

/** A Node project: package.json's scripts (start, build) or main, installed with the lockfile's manager. */
export const nodeDetector: Detector = {
  markers: ['package.json'],
  wants: (files) => {
    const entry = findEntryFile(parsePackageJson(files.texts['package.json']).pkg, files);
    return entry ? [entry] : [];
  },
  detect: (files) => detectNode(files),
};

function detectNode(files: ProjectFiles): KindGuess {
  const { pkg, problem } = parsePackageJson(files.texts['package.json']);
  const manager = derivePackageManager(pkg, files);
  const entry = findEntryFile(pkg, files);
  const entrySource =
    entry !== undefined && files.texts[entry] !== undefined
      ? { file: entry, text: files.texts[entry] }
      : undefined;
  const run = deriveRun(pkg, files, manager.value);
  if (problem) run.why.unshift(problem);
  run.why.push(...describePortUse(entrySource));
  return {
    description: `a Node project (package.json, ${manager.value})`,
    build: deriveBuild(pkg, manager),
    exclude: noExclude(),
    run,
    healthPath: deriveHealthPath(
      entrySource
        ? [entrySource, ...sourcesWith(files, NODE_SOURCES).filter((s) => s.file !== entry)]
        : sourcesWith(files, NODE_SOURCES),
    ),
    env: {
      value: { NODE_ENV: 'production' },
      why: ['NODE_ENV=production: the production mode of most Node frameworks and libraries.'],
    },
  };
}

function parsePackageJson(text: string | undefined): { pkg: PackageJson; problem?: string } {
  const empty: PackageJson = { scripts: {}, main: undefined, packageManager: undefined };
  if (text === undefined) return { pkg: empty };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { pkg: empty, problem: 'Warning: package.json is not valid JSON; its scripts were not read.' };
  }
  if (typeof raw !== 'object' || raw === null) return { pkg: empty };
  const object = raw as Record<string, unknown>;
  const scripts: Record<string, string> = {};
  if (typeof object.scripts === 'object' && object.scripts !== null) {
    for (const [name, value] of Object.entries(object.scripts)) {
      if (typeof value === 'string') scripts[name] = value;
    }
  }
  return {
    pkg: {
      scripts,
      main: typeof object.main === 'string' ? object.main : undefined,
      packageManager: typeof object.packageManager === 'string' ? object.packageManager : undefined,
    },
  };
}

function derivePackageManager(
  pkg: PackageJson,
  files: ProjectFiles,
): Reasoned<PackageManager> & {
  install: string;
} {
  const declared = /^(npm|yarn|pnpm)@/.exec(pkg.packageManager ?? '')?.[1] as PackageManager | undefined;
  if (declared === 'pnpm' || (!declared && hasEntry(files, 'pnpm-lock.yaml'))) {
    return { value: 'pnpm', install: 'pnpm install --frozen-lockfile', why: ['pnpm-lock.yaml: pnpm.'] };
  }
  if (declared === 'yarn' || (!declared && hasEntry(files, 'yarn.lock'))) {
    return { value: 'yarn', install: 'yarn install --frozen-lockfile', why: ['yarn.lock: yarn.'] };
  }
  const lock = ['package-lock.json', 'npm-shrinkwrap.json'].find((name) => hasEntry(files, name));
  return lock
    ? { value: 'npm', install: 'npm ci', why: [`${lock}: npm ci installs exactly what it lists.`] }
    : {
        value: 'npm',
        install: 'npm install',
        why: ['No lockfile: npm install (commit a package-lock.json and use npm ci for repeatable builds).'],
      };
}

function deriveBuild(
  pkg: PackageJson,
  manager: Reasoned<PackageManager> & { install: string },
): Reasoned<string | undefined> {
  const why = [
    ...manager.why,
    'node_modules goes into the release, so the hosts need only node (of the version you build with).',
  ];
  if (pkg.scripts.build === undefined) return { value: manager.install, why };
  return {
    value: `${manager.install} && ${manager.value} run build`,
    why: [...why, `Then package.json's build script: ${oneLine(pkg.scripts.build)}`],
  };
}

function deriveRun(pkg: PackageJson, files: ProjectFiles, manager: PackageManager): Reasoned<string> {
  if (pkg.scripts.start !== undefined) {
    return {
      value: `${manager} start`,
      why: [`package.json's start script: ${oneLine(pkg.scripts.start)}`],
    };
  }
  if (hasEntry(files, 'server.js')) {
    return {
      value: 'node server.js',
      why: ['No start script; server.js is what npm start runs when there is none.'],
    };
  }
  if (pkg.main !== undefined) {
    return { value: `node ${pkg.main}`, why: [`No start script: package.json's main, ${pkg.main}.`] };
  }
  if (hasEntry(files, 'index.js')) {
    return { value: 'node index.js', why: ['No start script and no main: index.js.'] };
  }
  return {
    value: `${manager} start`,
    why: [
      'Warning: package.json has no start script, no main, and there is no server.js or index.js:',
      'add a start script, or put the command that starts the app here.',
    ],
  };
}

/** The file the app starts from, when it can be told: `node <file>` in the start script, else main. */
function findEntryFile(pkg: PackageJson, files: ProjectFiles): string | undefined {
  const fromStart = /(?:^|[\s;&|])(?:node|tsx|ts-node)\s+(?:-\S+\s+)*([\w./-]+\.[cm]?[jt]s)\b/.exec(
    pkg.scripts.start ?? '',
  )?.[1];
  // A start script that runs something else (next start, a shell script) names no file to read.
  const candidates =
    pkg.scripts.start !== undefined
      ? [fromStart]
      : [
          hasEntry(files, 'server.js') ? 'server.js' : undefined,
          pkg.main,
          hasEntry(files, 'index.js') ? 'index.js' : undefined,
        ];
  const entry = candidates.find((c) => c !== undefined && !c.startsWith('/') && !c.includes('..'));
  return entry?.replace(/^\.\//, '');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
