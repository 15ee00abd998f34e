// How long the CLI takes to answer, against a bare `node -e 0`, side by side in one run: `slipway --version`,
// `slipway status` and a warm local `slipway rollback` (a switch only) on a temp copy of examples/hello with two
// deployed releases. Called by bench/run.mjs.
//
// Before/after in one run (bench/lib/build-revision.mjs): BENCH_BEFORE=<git revision> (or BENCH_CLI_BEFORE, its
// older name, which wins for this benchmark) also clones that revision into a temp directory, builds it and runs
// its commands in the same rounds, on a project of its own. BENCH_AFTER=<git revision> measures that revision's
// build (cloned and built the same way) instead of this working tree's dist/.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildsToCompare, revisionsFromEnv } from './lib/build-revision.mjs';
import { helloConfig } from './lib/hello-config.mjs';
import { freePort } from './lib/processes.mjs';

export const name = 'cli-startup';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function settings(env = process.env) {
  return {
    rounds: Number(env.BENCH_CLI_ROUNDS ?? 20),
    warmup: Number(env.BENCH_CLI_WARMUP ?? 3),
    ...revisionsFromEnv(env, { beforeKeys: ['BENCH_CLI_BEFORE', 'BENCH_BEFORE'] }),
  };
}

/** @param {{ group: import('./lib/processes.mjs').ProcessGroup, log: (line: string) => void }} ctx */
export async function run({ log }) {
  const s = settings();
  // Before first, then after (or now): the order of the cases in the tables.
  const builds = buildsToCompare(s, log);
  const cleanups = [];
  try {
    for (const build of builds) {
      build.project = await deployedProject(build.root);
      cleanups.unshift(() => {
        slipway(build.root, build.project, ['agent', 'stop', '--stop-targets']);
        rmSync(build.project, { recursive: true, force: true });
      });
      build.bundle = describeBundle(join(build.root, 'dist'));
      log(`  ${build.label} (${build.commit}): project ready, two releases deployed`);
    }

    const cases = [{ name: 'node -e 0', build: null, argv: ['-e', '0'] }];
    for (const build of builds) {
      const bin = join(build.root, 'bin', 'slipway.js');
      const config = ['-c', join(build.project, 'slipway.yml')];
      cases.push(
        { name: 'slipway --version', build, argv: [bin, '--version'] },
        { name: 'slipway status', build, argv: [bin, ...config, 'status'] },
        { name: 'slipway rollback (warm)', build, argv: [bin, ...config, 'rollback', 'production'] },
      );
    }
    const samples = measure(cases, s, log);
    const json = {
      settings: s,
      builds: builds.map((b) => ({ label: b.label, commit: b.commit, bundle: b.bundle })),
      cases: cases.map((c, i) => summarize(c, samples[i], samples[0])),
    };
    return { json, markdown: renderMarkdown(json) };
  } finally {
    for (const cleanup of cleanups) {
      try {
        cleanup();
      } catch {
        // best effort: the rest still runs
      }
    }
  }
}

/**
 * Rounds of every case in turn (the order reversed every other round, so that drift in the machine's load does not
 * favour one case), after warm-up rounds. Wall time per run, and CPU time (user + system) from this process's
 * `cutime`/`cstime`: the kernel adds a child's CPU time there when the child is reaped.
 */
function measure(cases, s, log) {
  const samples = cases.map(() => ({ wallMs: [], cpuMs: [] }));
  for (let round = -s.warmup; round < s.rounds; round++) {
    const order = cases.map((_, i) => i);
    if (round % 2 !== 0) order.reverse();
    for (const i of order) {
      const c = cases[i];
      const cpuBefore = childrenCpuMs();
      const started = performance.now();
      const result = spawnSync(process.execPath, c.argv, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NO_COLOR: '1' },
      });
      const wallMs = performance.now() - started;
      const cpuMs = childrenCpuMs() - cpuBefore;
      if (result.status !== 0) {
        throw new Error(`${c.name} exited with ${result.status}: ${String(result.stderr || result.stdout)}`);
      }
      if (round >= 0) {
        samples[i].wallMs.push(wallMs);
        samples[i].cpuMs.push(cpuMs);
      }
    }
    if (round >= 0 && (round + 1) % 5 === 0) log(`  round ${round + 1}/${s.rounds}`);
  }
  return samples;
}

function summarize(c, sample, baseline) {
  const wall = median(sample.wallMs);
  const cpu = mean(sample.cpuMs);
  return {
    name: c.name,
    build: c.build?.label ?? null,
    wallMedianMs: round1(wall),
    wallMinMs: round1(Math.min(...sample.wallMs)),
    cpuMeanMs: round1(cpu),
    wallRatio: round2(wall / median(baseline.wallMs)),
    cpuRatio: round2(cpu / mean(baseline.cpuMs)),
  };
}

/** A temp copy of examples/hello with 1.0.0 and 2.0.0 deployed, 1.0.0 kept warm: each rollback is a switch. */
async function deployedProject(root) {
  const dir = mkdtempSync(join(tmpdir(), 'sw-cli-'));
  cpSync(join(ROOT, 'examples', 'hello'), dir, {
    recursive: true,
    filter: (src) => !src.includes('.slipway'),
  });
  writeFileSync(
    join(dir, 'slipway.yml'),
    helloConfig(await freePort(), '      kind: blue-green\n      keepWarm: 1h\n      drainTimeout: 5s'),
  );
  for (const args of [
    ['release', 'create', '--version', '1.0.0'],
    ['release', 'create', '--version', '2.0.0'],
    ['deploy', 'production', '--release', '1.0.0'],
    ['deploy', 'production', '--release', '2.0.0'],
  ]) {
    slipway(root, dir, args);
  }
  return dir;
}

function slipway(root, project, args) {
  const result = spawnSync(
    process.execPath,
    [join(root, 'dist', 'cli.js'), '-c', join(project, 'slipway.yml'), ...args],
    { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
  );
  if (result.status !== 0)
    throw new Error(`slipway ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  return result.stdout;
}

/**
 * The CLI's files: dist/cli.js and its chunks, and what `--version` and each measured verb parse (the entry and
 * the chunks it imports statically, then the program and the verb's chunk with theirs).
 */
function describeBundle(dist) {
  // Chunks are ES modules (`cli-*.js`, builds before the code cache) or CommonJS scripts that dist/cli.js loads
  // (`cli-*.cjs`, from cli-main.cjs on): what a command parses is the closure of the static imports or requires
  // from there; a dynamic `import()` (in a CommonJS chunk, a `require` in `Promise.resolve().then(() => …)`) is
  // loaded only when it runs.
  const files = readdirSync(dist).filter((f) => f === 'cli.js' || /^cli-.+\.c?js$/.test(f));
  const bytes = (f) => readFileSync(join(dist, f)).length;
  const closure = (start, seen = new Set()) => {
    if (seen.has(start) || !files.includes(start)) return seen;
    seen.add(start);
    const text = readFileSync(join(dist, start), 'utf8');
    for (const m of text.matchAll(
      /(?:^|[;\s])(?:import|export)\s*(?:[^'"();]*?\bfrom\s*)?["']\.\/([^"']+)["']/g,
    )) {
      closure(m[1], seen);
    }
    for (const m of text.matchAll(/require\("\.\/(cli-[^"]+\.cjs)"\)/g)) {
      const before = text.slice(Math.max(0, m.index - 40), m.index);
      if (!before.includes('.then(')) closure(m[1], seen);
    }
    if (start === 'cli.js' && /["']cli-main\.cjs["']/.test(text)) closure('cli-main.cjs', seen);
    return seen;
  };
  const kib = (set) => Math.round([...set].reduce((sum, f) => sum + bytes(f), 0) / 1024);
  const chunk = (verb) => files.find((f) => f.startsWith(`cli-${verb}-`));
  const forVerb = (verb) => {
    const seen = closure('cli.js');
    for (const f of [chunk('program'), chunk(verb)]) if (f) closure(f, seen);
    return kib(seen);
  };
  return {
    files: files.length,
    totalKiB: kib(new Set(files)),
    entryKiB: Math.round(bytes('cli.js') / 1024),
    parsedKiB: { version: kib(closure('cli.js')), status: forVerb('status'), rollback: forVerb('rollback') },
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const round1 = (x) => Math.round(x * 10) / 10;
const round2 = (x) => Math.round(x * 100) / 100;

/** CPU milliseconds of this process's reaped children so far (cutime + cstime, /proc/self/stat). */
function childrenCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / clockTicks();
}

let ticks = null;
function clockTicks() {
  ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticks;
}

function renderMarkdown(j) {
  const rows = j.cases.map(
    (c) =>
      `| ${c.name}${c.build ? ` (${c.build})` : ''} | ${c.wallMedianMs} | ${c.wallRatio} | ${c.cpuMeanMs} | ${c.cpuRatio} |`,
  );
  const bundles = j.builds.map(
    (b) =>
      `| ${b.label} (${b.commit}) | ${b.bundle.files} | ${b.bundle.totalKiB} | ${b.bundle.entryKiB} | ${b.bundle.parsedKiB.version} | ${b.bundle.parsedKiB.status} | ${b.bundle.parsedKiB.rollback} |`,
  );
  return [
    `## CLI start-up`,
    ``,
    `${j.settings.rounds} rounds (after ${j.settings.warmup} warm-up rounds) of each command in turn; wall time median, CPU time (user + system) mean; ratios to \`node -e 0\` in the same rounds.`,
    ``,
    `| command | wall ms | × node -e 0 | CPU ms | × node -e 0 |`,
    `| --- | ---: | ---: | ---: | ---: |`,
    ...rows,
    ``,
    `| build | CLI files | total KiB | dist/cli.js KiB | parsed by --version KiB | by status KiB | by rollback KiB |`,
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: |`,
    ...bundles,
    ``,
  ].join('\n');
}
