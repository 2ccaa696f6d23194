/**
 * A progress line on stderr for long work: `step 120/2000  6.0%  loss 1.873  1,950 chars/s  ETA 16m05s`.
 * On a terminal it rewrites one line (`\r`); otherwise (CI, a log file) it prints a line at most every
 * `minIntervalMs`, so logs stay readable.
 */

/** Options for `ProgressLine`. */
export interface ProgressOptions {
  /** Total units of work (steps), or 0 when unknown (no percentage or ETA). @default 0 */
  total?: number;
  /** Stream to write to. @default process.stderr */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Least time between two non-terminal lines. @default 10000 */
  minIntervalMs?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
  /** Units already done before this process started (a resumed run): counted in `step`, not in the rate. @default 0 */
  offset?: number;
}

/** Formats seconds as `1h02m`, `16m05s` or `42s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** A rewriting progress line. */
export class ProgressLine {
  private readonly total: number;
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private readonly start: number;
  private readonly offset: number;
  private lastPrint = -Infinity;
  private width = 0;

  constructor(options: ProgressOptions = {}) {
    this.total = options.total ?? 0;
    this.stream = options.stream ?? process.stderr;
    this.minIntervalMs = options.minIntervalMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.start = this.now();
    this.offset = options.offset ?? 0;
  }

  /**
   * Reports `done` units and extra fields (`{ loss: '1.873', 'chars/s': '1,950' }`).
   * @param force print even if the interval has not passed (e.g. the last update)
   * @returns the line that was (or would have been) printed
   */
  update(done: number, fields: Record<string, string>, force = false): string {
    const elapsed = (this.now() - this.start) / 1000;
    const parts = [this.total > 0 ? `step ${done}/${this.total}` : `step ${done}`];
    if (this.total > 0) parts.push(`${((100 * done) / this.total).toFixed(1)}%`);
    for (const [k, v] of Object.entries(fields)) parts.push(k.endsWith('/s') ? `${v} ${k}` : `${k} ${v}`);
    const doneHere = done - this.offset;
    if (this.total > 0 && doneHere > 0) parts.push(`ETA ${formatDuration((elapsed / doneHere) * (this.total - done))}`);
    else parts.push(`elapsed ${formatDuration(elapsed)}`);
    const line = parts.join('  ');
    const t = this.now();
    if (this.stream.isTTY) {
      this.stream.write(`\r${line.padEnd(this.width)}`);
      this.width = line.length;
    } else if (force || t - this.lastPrint >= this.minIntervalMs) {
      this.stream.write(`${line}\n`);
      this.lastPrint = t;
    }
    return line;
  }

  /** Writes a message on its own line (e.g. a text sample) without breaking the progress line. */
  log(message: string): void {
    if (this.stream.isTTY && this.width > 0) this.stream.write('\n');
    this.stream.write(message.endsWith('\n') ? message : `${message}\n`);
    this.width = 0;
  }

  /** Ends the line on a terminal. */
  done(): void {
    if (this.stream.isTTY && this.width > 0) this.stream.write('\n');
    this.width = 0;
  }
}
