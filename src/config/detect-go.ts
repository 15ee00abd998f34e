import { noEnv, noExclude, type Detector, type KindGuess } from './app-guess.js';
import {
  deriveHealthPath,
  describePortUse,
  listNames,
  sourcesWith,
  type ProjectFiles,
  type Reasoned,
  type SourceText,
} from './scan-app-source.js';

/** Names under cmd/ that are most likely the server when there are several. */
const SERVER_NAMES = ['server', 'api', 'web', 'app'];

/** A Go project: `go build` a static binary of the main package into the release, then run it. */
export const goDetector: Detector = {
  markers: ['go.mod'],
  wants: (files) => listCommands(files).map((name) => `cmd/${name}/main.go`),
  detect: (files) => detectGo(files),
};

function detectGo(files: ProjectFiles): KindGuess {
  const module = /^module\s+(\S+)/m.exec(files.texts['go.mod'] ?? '')?.[1];
  const main = findMainPackage(files, module);
  const binary = `bin/${main.name}`;
  const run: Reasoned<string> = {
    value: `./${binary}`,
    why: [...main.why, ...describePortUse(main.source)],
  };
  return {
    description: `a Go project (go.mod${module ? `, ${module}` : ''})`,
    build: {
      value: `CGO_ENABLED=0 go build -o ${binary} ${main.pkg}`,
      why: [
        `Builds the main package ${main.pkg === '.' ? 'at the top' : main.pkg} into ${binary}, which goes into the release.`,
        'CGO_ENABLED=0 makes it static: hosts need neither Go nor the C library of the build machine.',
      ],
    },
    exclude: noExclude(),
    run,
    healthPath: deriveHealthPath(
      main.source
        ? [main.source, ...sourcesWith(files, ['.go']).filter((s) => s.file !== main.source?.file)]
        : sourcesWith(files, ['.go']),
    ),
    env: noEnv(),
  };
}

interface MainPackage {
  pkg: string;
  name: string;
  source: SourceText | undefined;
  why: string[];
}

function findMainPackage(files: ProjectFiles, module: string | undefined): MainPackage {
  const top = sourcesWith(files, ['.go']).find(
    (s) => !s.file.includes('/') && /^package\s+main\b/m.test(s.text),
  );
  const fromModule = deriveBinaryName(module);
  if (top) {
    return { pkg: '.', name: fromModule, source: top, why: [`${top.file} is package main.`] };
  }
  const commands = listCommands(files);
  const chosen =
    SERVER_NAMES.find((n) => commands.includes(n)) ??
    (commands.includes(fromModule) ? fromModule : undefined) ??
    commands[0];
  if (chosen !== undefined) {
    const text = files.texts[`cmd/${chosen}/main.go`];
    const others = commands.filter((c) => c !== chosen).map((c) => `cmd/${c}`);
    return {
      pkg: `./cmd/${chosen}`,
      name: deriveBinaryName(chosen),
      source: text === undefined ? undefined : { file: `cmd/${chosen}/main.go`, text },
      why: [
        `The main package cmd/${chosen}.`,
        ...(others.length > 0
          ? [`Also under cmd/: ${listNames(others)}; change both commands to run one.`]
          : []),
      ],
    };
  }
  return {
    pkg: '.',
    name: fromModule,
    source: undefined,
    why: ['Warning: no package main at the top or under cmd/: change the package in build.command.'],
  };
}

function listCommands(files: ProjectFiles): string[] {
  return files.entries
    .map((entry) => /^cmd\/([^/]+)\/$/.exec(entry)?.[1])
    .filter((name): name is string => name !== undefined)
    .sort();
}

/** The binary's name: the module path's last element without a `/v2` suffix, as `go build` would. */
function deriveBinaryName(module: string | undefined): string {
  const parts = (module ?? '').split('/').filter((p) => p !== '' && !/^v\d+$/.test(p));
  const name = (parts.at(-1) ?? '').replace(/[^\w.-]/g, '-').replace(/^[.-]+/, '');
  return name === '' ? 'app' : name;
}
