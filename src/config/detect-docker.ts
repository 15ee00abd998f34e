import {
  APP_KIND_NAMES,
  noEnv,
  noExclude,
  type Detector,
  type DetectContext,
  type KindGuess,
} from './app-guess.js';
import {
  deriveHealthPath,
  quoteShellWord,
  sourcesWith,
  type ProjectFiles,
  type Reasoned,
} from './scan-app-source.js';

const ALL_SOURCES = ['.js', '.mjs', '.cjs', '.ts', '.py', '.rb', '.go'];

interface Instruction {
  keyword: string;
  args: string;
}

/** A Dockerfile: `runtime: docker`, the run command from its CMD (the language's guess when it has none). */
export const dockerDetector: Detector = {
  markers: ['Dockerfile'],
  wants: () => [],
  detect: (files, context) => detectDocker(files, context),
};

function detectDocker(files: ProjectFiles, { inner }: DetectContext): KindGuess {
  const stage = parseFinalStage(files.texts.Dockerfile ?? '');
  const last = (keyword: string) => stage.filter((i) => i.keyword === keyword).at(-1);
  const cmd = last('CMD');
  const entrypoint = last('ENTRYPOINT');
  const exposed = stage
    .filter((i) => i.keyword === 'EXPOSE')
    .flatMap((i) => i.args.split(/\s+/))
    .filter(Boolean);
  const run: Reasoned<string> = cmd
    ? {
        value: parseCommandForm(cmd.args),
        why: ["The Dockerfile's CMD. Slipway replaces CMD with /bin/sh -c <run.command>."],
      }
    : inner
      ? {
          value: inner.guess.run.value,
          why: [
            `No CMD in the Dockerfile's last stage: as for ${inner.guess.description}.`,
            ...inner.guess.run.why,
          ],
        }
      : {
          value: 'npm start',
          why: [
            'Warning: no CMD in the last stage of the Dockerfile: put the command that starts the app here.',
          ],
        };
  if (entrypoint) {
    run.why.push(
      `Warning: the ENTRYPOINT ${oneLine(entrypoint.args)} stays, and is given /bin/sh -c <run.command>`,
      'as arguments: it must run them (exec "$@"), or remove it.',
    );
  }
  run.why.push(
    'Each container gets its own $PORT (published on 127.0.0.1 only): the app must listen on it',
    `on all interfaces (0.0.0.0) inside the container${
      exposed.length > 0 ? `; the Dockerfile's EXPOSE ${exposed.join(' ')} is not used` : ''
    }.`,
  );
  return {
    description: `a Dockerfile${inner ? ` (of a ${APP_KIND_NAMES[inner.kind]} app)` : ''}, run as containers`,
    build: {
      value: undefined,
      why: [
        'None: `slipway release create` builds the image from the Dockerfile. A command here would run',
        'first, on this machine (e.g. to make files the Dockerfile copies).',
      ],
    },
    exclude: noExclude(),
    run,
    healthPath: deriveHealthPath(sourcesWith(files, ALL_SOURCES)),
    env: noEnv(),
  };
}

/** The instructions after the last FROM, with line continuations joined and comments dropped. */
function parseFinalStage(text: string): Instruction[] {
  const joined = text.replace(/[ \t]*\\[ \t]*\r?\n[ \t]*/g, ' ');
  const instructions = joined
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^(\w+)\s*(.*)$/.exec(line);
      return { keyword: (match?.[1] ?? '').toUpperCase(), args: match?.[2] ?? '' };
    });
  const from = instructions.map((i) => i.keyword).lastIndexOf('FROM');
  return instructions.slice(from + 1);
}

/** `["node", "server.js"]` (exec form) → `node server.js`; the shell form as written. */
function parseCommandForm(args: string): string {
  if (args.startsWith('[')) {
    try {
      const words: unknown = JSON.parse(args);
      if (Array.isArray(words) && words.every((w) => typeof w === 'string')) {
        return words.map(quoteShellWord).join(' ');
      }
    } catch {
      // Docker runs a CMD that is not a JSON array in the shell form; so does this.
    }
  }
  return args;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
