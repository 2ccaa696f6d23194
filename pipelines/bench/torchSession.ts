/**
 * The PyTorch peer as one child process for the whole bench (`torch_bench.py --serve` under Debian's
 * `/usr/bin/python3`: one import of torch), given one workload at a time right after eddy's cases of that
 * workload, so each ratio is measured close in time on a machine whose load drifts. Absent torch (or python) is a
 * note in the footer, not a failure; a job past its time limit kills the child (later jobs report it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Golden } from './results.ts';
import { benchDir } from './tfApi.ts';
import { TORCH_PYTHON, collect, infoNote, writeJob, type Line, type TorchRun } from './torchPeer.ts';
import type { Budget, Spec } from './workloads.ts';

export class TorchSession {
  readonly #dir = mkdtempSync(join(tmpdir(), 'eddy-bench-'));
  readonly #child: ChildProcess | null;
  #lines: Line[] = [];
  #info: Line | undefined;
  #wake: (() => void) | null = null;
  #error: string | null = null;
  #jobs = 0;

  constructor() {
    if (!existsSync(TORCH_PYTHON)) {
      this.#child = null;
      this.#error = `${TORCH_PYTHON} not found`;
      return;
    }
    const child = spawn(TORCH_PYTHON, [join(benchDir, 'torch_bench.py'), '--serve'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...this.#ompEnv() },
    });
    this.#child = child;
    let buf = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line === '') continue;
        try {
          const l = JSON.parse(line) as Line;
          if (l.kind === 'info') this.#info = l;
          else this.#lines.push(l);
        } catch {
          process.stderr.write(`torch (stdout): ${line}\n`);
        }
      }
      this.#wake?.();
    });
    child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    child.stdin!.on('error', () => {}); // a child gone before its input closes: reported by 'close'
    child.on('error', (err) => {
      this.#error = err.message;
      this.#wake?.();
    });
    child.on('close', (code) => {
      this.#error ??= `exit code ${code}`;
      this.#wake?.();
    });
  }

  /** Why the child's OpenMP settings differ from the default (a footer line), or null. */
  #ompNote: string | null = null;

  /**
   * On a loaded machine (1-minute load average above the core count) torch's OpenMP threads spin waiting for a
   * descheduled partner at every parallel region: measured here, a batched LSTMCell step of 1,000 rows took 490 ms
   * on 2 threads against 42 ms on one, and 45 ms with `OMP_WAIT_POLICY=PASSIVE`. The child then runs passive (unless
   * the caller set OMP_WAIT_POLICY), so the peer is not slowed by the machine's other users.
   */
  #ompEnv(): Record<string, string> {
    const load = loadavg()[0];
    const cores = availableParallelism();
    if (process.env.OMP_WAIT_POLICY !== undefined || load <= cores) return {};
    this.#ompNote = `torch: OMP_WAIT_POLICY=PASSIVE (load average ${load.toFixed(1)} on ${cores} cores: spinning OpenMP threads would wait for descheduled partners)`;
    return { OMP_WAIT_POLICY: 'PASSIVE' };
  }

  /** Waits until `done` returns true, the child ends, or `ms` pass (then the child is killed); false if not done. */
  async #until(done: () => boolean, ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (!done()) {
      if (this.#error !== null) return false;
      const left = deadline - performance.now();
      if (left <= 0) {
        this.#error = `killed after ${(ms / 1000).toFixed(0)} s`;
        this.#child?.kill('SIGKILL');
        return false;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.#wake = null;
    }
    return true;
  }

  /** Waits for the child's first line (torch imported, or why not), at most `limitS` seconds. */
  async ready(limitS: number): Promise<void> {
    if (this.#child !== null) await this.#until(() => this.#info !== undefined, limitS * 1000);
  }

  /** Runs the specs' cases on torch; `limitS` bounds this job (its fewest steps run even when budgets are spent). */
  async run(
    specs: readonly Spec[],
    goldens: ReadonlyMap<string, Golden>,
    budgets: readonly Budget[],
    limitS: number,
  ): Promise<TorchRun> {
    if (this.#child === null || this.#error !== null) return this.#skipped(specs, goldens);
    const path = writeJob(this.#dir, `job${this.#jobs++}`, specs, goldens, budgets);
    this.#lines = [];
    this.#child.stdin!.write(`${path}\n`);
    await this.#until(
      () => this.#lines.some((l) => l.kind === 'done') || this.#info?.available === false,
      limitS * 1000,
    );
    if (!infoNote(this.#info, this.#error).ok) return this.#skipped(specs, goldens);
    return collect(this.#lines, specs, goldens);
  }

  /** Rows with a note when torch cannot run (no failure: an absent peer is not an error). */
  #skipped(specs: readonly Spec[], goldens: ReadonlyMap<string, Golden>): TorchRun {
    const r = collect([], specs, goldens);
    return {
      rows: r.rows.map((row) => ({ ...row, note: this.#error ?? 'torch not available' })),
      notes: [],
      failures: [],
    };
  }

  /** Footer lines: the version, threads and BLAS (or why torch did not run), and how the child ended. */
  notes(): string[] {
    const info = infoNote(this.#info, this.#error);
    const notes = [info.note, ...(this.#ompNote ? [this.#ompNote] : [])];
    return info.ok && this.#error !== null ? [...notes, `torch: ${this.#error}`] : notes;
  }

  /** Ends the child and removes the jobs' folder. */
  close(): void {
    this.#child?.stdin?.end();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
