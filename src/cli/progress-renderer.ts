import { formatDurationMs } from '../core/duration.js';
import type { ProgressEvent, ProgressReporter } from '../executor/progress.js';
import { titleStep } from '../plan/describe-step.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

interface Row {
  index: number;
  title: string;
  host: string;
  state: 'running' | 'done' | 'failed' | 'skipped';
  startedMs: number;
  durationMs?: number;
  detail?: string;
}

/** A live task list for a terminal: each step with its state and timing, redrawn in place. */
export class TtyProgressRenderer implements ProgressReporter {
  readonly #rows: Row[] = [];
  #stage = '';
  #drawnLines = 0;
  #frame = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(private readonly out: NodeJS.WriteStream) {}

  report(event: ProgressEvent): void {
    switch (event.kind) {
      case 'stage-started':
        this.#flushFinished();
        this.#stage = event.phase === 'on-failure' ? `${event.stage} (recovering)` : event.stage;
        break;
      case 'step-started':
        this.#rows.push({
          index: event.index,
          title: titleStep(event.step),
          host: event.step.host,
          state: 'running',
          startedMs: Date.now(),
        });
        this.#startTimer();
        break;
      case 'step-skipped':
        this.#rows.push({
          index: event.index,
          title: titleStep(event.step),
          host: event.step.host,
          state: 'skipped',
          startedMs: Date.now(),
          // A skipped step never ran: its time is none, not the moments until the next redraw.
          durationMs: 0,
          detail: event.reason,
        });
        break;
      case 'step-note': {
        const row = this.#rows.find((r) => r.index === event.index);
        if (row) row.detail = event.detail;
        break;
      }
      case 'step-succeeded':
      case 'step-failed': {
        const row = this.#rows.find((r) => r.index === event.index);
        if (row) {
          row.state = event.kind === 'step-succeeded' ? 'done' : 'failed';
          row.durationMs = event.durationMs;
          row.detail = event.kind === 'step-succeeded' ? event.detail : event.error.split('\n')[0];
        }
        break;
      }
      case 'finished':
        this.#stopTimer();
        this.#draw();
        this.#drawnLines = 0;
        this.#rows.length = 0;
        return;
    }
    this.#draw();
  }

  /** Rows of finished stages stay printed above; only the current stage is redrawn. */
  #flushFinished(): void {
    if (this.#rows.every((r) => r.state !== 'running')) {
      this.#draw();
      this.#drawnLines = 0;
      this.#rows.length = 0;
    }
  }

  #draw(): void {
    const lines = this.#rows.map((r) => this.#formatRow(r));
    if (lines.length === 0) return;
    const header = `${dim('──')} ${cut(this.#stage, this.#width() - 3)}`;
    const all = [header, ...lines];
    let text = this.#drawnLines > 0 ? `\x1b[${this.#drawnLines}F\x1b[J` : '';
    text += `${all.join('\n')}\n`;
    this.out.write(text);
    this.#drawnLines = all.length;
  }

  #formatRow(row: Row): string {
    const icon =
      row.state === 'running'
        ? cyan(SPINNER[this.#frame % SPINNER.length] ?? '*')
        : row.state === 'done'
          ? green('✔')
          : row.state === 'failed'
            ? red('✖')
            : dim('↷');
    const elapsed = row.durationMs ?? Date.now() - row.startedMs;
    const timing = formatDurationMs(elapsed).padStart(6);
    const host = `on ${row.host}`;
    // A row wider than the terminal wraps, and the redraw (one line up per row) would leave copies of it
    // behind: the detail gives way first, then the title.
    const room = this.#width() - `  ✔  ${host} ${timing}`.length;
    const title = cut(row.title, room);
    const detailRoom = room - title.length - 2;
    const detail = row.detail && detailRoom > 1 ? dim(`  ${cut(row.detail, detailRoom)}`) : '';
    return `  ${icon} ${title} ${dim(host)} ${dim(timing)}${detail}`;
  }

  /** The columns a row may use: one less than the terminal's, so that the cursor never wraps. */
  #width(): number {
    const columns = this.out.columns;
    return columns > 0 ? columns - 1 : Number.POSITIVE_INFINITY;
  }

  #startTimer(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.#frame++;
      this.#draw();
    }, 100);
    this.#timer.unref();
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}

/** The text cut to at most `max` characters, ending in … when cut. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return max <= 1 ? text.slice(0, Math.max(max, 0)) : `${text.slice(0, max - 1)}…`;
}

/** One line per event, for logs and pipes. */
export class PlainProgressRenderer implements ProgressReporter {
  readonly #startedMs = Date.now();
  constructor(private readonly out: NodeJS.WritableStream) {}

  report(event: ProgressEvent): void {
    const at = `[+${((Date.now() - this.#startedMs) / 1000).toFixed(2)}s]`;
    const line = ((): string | null => {
      switch (event.kind) {
        case 'stage-started':
          return `${at} stage ${event.stage}${event.phase === 'on-failure' ? ' (recovering)' : ''}`;
        case 'step-started':
          return `${at}   start   ${titleStep(event.step)} on ${event.step.host}`;
        case 'step-skipped':
          return `${at}   skip    ${titleStep(event.step)} on ${event.step.host}: ${event.reason}`;
        case 'step-note':
          return `${at}   wait    ${titleStep(event.step)} on ${event.step.host}: ${event.detail}`;
        case 'step-succeeded':
          return `${at}   ok      ${titleStep(event.step)} on ${event.step.host} (${formatDurationMs(event.durationMs)})${event.detail ? ` ${event.detail}` : ''}`;
        case 'step-failed':
          return `${at}   FAILED  ${titleStep(event.step)} on ${event.step.host} (${formatDurationMs(event.durationMs)}): ${event.error}`;
        case 'finished':
          return null;
      }
    })();
    if (line) this.out.write(`${line}\n`);
  }
}

export function createProgressRenderer(out: NodeJS.WriteStream): ProgressReporter {
  return out.isTTY ? new TtyProgressRenderer(out) : new PlainProgressRenderer(out);
}

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (text: string) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);
export const dim = paint(2);
export const green = paint(32);
export const red = paint(31);
export const cyan = paint(36);
export const bold = paint(1);
export const yellow = paint(33);
