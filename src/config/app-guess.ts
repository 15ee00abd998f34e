import type { ProjectFiles, Reasoned } from './scan-app-source.js';

/** The kinds of project `slipway init` recognises, in the order it looks for them when several are present. */
export const APP_KINDS = ['docker', 'go', 'ruby', 'python', 'node'] as const;
export type AppKind = (typeof APP_KINDS)[number];

/** Each kind as people say it: "a Node project". */
export const APP_KIND_NAMES: { readonly [K in AppKind]: string } = {
  docker: 'Docker',
  go: 'Go',
  ruby: 'Ruby',
  python: 'Python',
  node: 'Node',
};

/** What one kind of project says about building, starting and checking it; every value with its reasons. */
export interface KindGuess {
  /** For people: "a Node project (package.json, npm)". */
  description: string;
  /** `value` undefined: no build command (the reasons may suggest one). */
  build: Reasoned<string | undefined>;
  /** Paths left out of the release (build.exclude). */
  exclude: Reasoned<string[]>;
  run: Reasoned<string>;
  healthPath: Reasoned<string>;
  env: Reasoned<Record<string, string>>;
}

export interface AppGuess extends KindGuess {
  kind: AppKind | 'unknown';
  runtime: 'process' | 'docker';
  /** Other kinds whose files are here too (the comment names `--kind` to pick one of them). */
  alsoFound: AppKind[];
}

export interface DetectContext {
  /** Where a server the run command starts should listen: loopback for a process, all interfaces in a container. */
  listenHost: string;
  /** For the docker kind: the guess for the language inside, if one was recognised (its run is the fallback). */
  inner?: { kind: AppKind; guess: KindGuess };
}

/** One kind of project: the files that mark it, the further files it wants read, and its guess. Pure. */
export interface Detector {
  /** Files whose presence says "this kind"; the first found is named in the comments. */
  markers: readonly string[];
  /** Paths beyond the markers and the top-level sources whose texts the guess uses (read when present). */
  wants(files: ProjectFiles): string[];
  detect(files: ProjectFiles, context: DetectContext): KindGuess;
}

export function noExclude(): Reasoned<string[]> {
  return { value: [], why: [] };
}

export function noEnv(): Reasoned<Record<string, string>> {
  return { value: {}, why: [] };
}
