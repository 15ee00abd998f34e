import type { ExecResult } from '../hosts/ssh-session.js';
import { quoteWord } from '../core/quote-argv.js';

/** Starts each section of the facts script's output; a line no command prints. */
export const FACT_MARKER = '@@slipway-fact ';

/** What the preflight reads from a host, as the commands printed it (parsed by the pure parsers of host-facts). */
export interface PreflightFacts {
  /** `date +%s%3N` (busybox prints `%3N` literally) and `date +%s`, read first, closest to the exec's start. */
  dateMs: string;
  dateSeconds: string;
  uname: string;
  df: string;
  meminfo: string;
  /** `ss -ltnp` when it ran; otherwise null and `procNetTcp` holds the kernel's tables. */
  ss: string | null;
  procNetTcp: string | null;
  /** `<node> --version`: its exit code and its output (stdout and stderr together). */
  node: ExecResult;
}

/**
 * One `sh -c` script that prints every fact the preflight needs, each section after a marker line. One remote
 * command per host instead of one per fact: every SSH command starts the user's login shell, which costs far
 * more than the commands themselves on many hosts (rc files), and sshd limits sessions per connection.
 */
export function buildPreflightScript(paths: { node: string; dfPaths: readonly string[] }): string {
  const section = (name: string): string => `printf '\\n${FACT_MARKER}%s\\n' ${name}`;
  return [
    section('date-ms'),
    'date +%s%3N 2>&1',
    section('date-s'),
    'date +%s 2>&1',
    section('uname'),
    'uname -sm 2>&1',
    section('df'),
    `df -Pk ${paths.dfPaths.map(quoteWord).join(' ')} 2>/dev/null`,
    section('meminfo'),
    'cat /proc/meminfo 2>&1',
    // No iproute2: the kernel's tables (cat exits 1 without IPv6 but prints the IPv4 table).
    `if listeners=$(ss -ltnp 2>/dev/null); then ${section('ss')}; printf '%s\\n' "$listeners"; else ${section('proc-net-tcp')}; cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; fi`,
    section('node'),
    `${quoteWord(paths.node)} --version 2>&1`,
    `node_exit=$?`,
    section('node-exit'),
    'echo "$node_exit"',
    'exit 0',
  ].join('\n');
}

/** Splits the script's output into its sections; a section the output lacks reads as empty (or null). */
export function parsePreflightFacts(output: string): PreflightFacts {
  const sections = new Map<string, string>();
  let name: string | null = null;
  let lines: string[] = [];
  const flush = (): void => {
    // printf put a newline before each marker: drop it from the section before.
    if (name !== null) sections.set(name, lines.join('\n').replace(/\n$/, ''));
  };
  for (const line of output.split('\n')) {
    if (line.startsWith(FACT_MARKER)) {
      flush();
      name = line.slice(FACT_MARKER.length).trim();
      lines = [];
    } else if (name !== null) {
      lines.push(line);
    }
  }
  flush();
  const text = (key: string): string => sections.get(key) ?? '';
  const nodeExit = /^\d+$/.exec(text('node-exit').trim());
  return {
    dateMs: text('date-ms'),
    dateSeconds: text('date-s'),
    uname: text('uname'),
    df: text('df'),
    meminfo: text('meminfo'),
    ss: sections.get('ss') ?? null,
    procNetTcp: sections.get('proc-net-tcp') ?? null,
    node: {
      code: nodeExit ? Number(nodeExit[0]) : null,
      signal: null,
      stdout: text('node'),
      stderr: text('node'),
    },
  };
}
