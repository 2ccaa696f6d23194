/**
 * Reads ffmpeg's stderr as it comes and turns it into facts about frames.
 *
 * The frame source runs ffmpeg with a `showinfo` filter last in the chain and `-fps_mode passthrough`, so:
 * 1. every frame written to stdout is announced on stderr first by one showinfo line, in order, carrying its size
 *    (`s:WxH`) and time (`pts_time:`); the k-th showinfo line describes the k-th frame on stdout;
 * 2. ffmpeg prints `corrupt decoded frame in stream N` just before it sends such a frame into the filters, so the
 *    next showinfo line is that frame;
 * 3. `Error while decoding stream` means a frame was dropped by ffmpeg; `File ended prematurely`, `partial file`
 *    and `corrupt input packet` mean the input is truncated or damaged.
 * Everything else is kept as a short tail for error messages.
 */

/** One frame as announced by showinfo. */
export interface LoggedFrame {
  /** Seconds, or undefined when the stream has no timestamps. */
  ptsTime: number | undefined;
  width: number;
  height: number;
  /** ffmpeg's message when the frame was decoded with errors. */
  corrupt: string | undefined;
}

/** A problem not tied to one frame on stdout: a dropped frame or a truncated input. */
export interface LoggedProblem {
  kind: 'decode-error' | 'truncated';
  /** How many frames had been announced when it was logged (it sits before frame `afterFrames`). */
  afterFrames: number;
  message: string;
}

const SHOWINFO = /\[Parsed_showinfo_\d+ @ [^\]]*\]\s+n:\s*\d+\s+pts:\s*\S+\s+pts_time:(\S+).*?\ss:(\d+)x(\d+)/;
const CORRUPT_FRAME = /corrupt decoded frame in stream \d+/;
const DECODE_ERROR = /Error while decoding stream #\d+:\d+/;
const TRUNCATED = /File ended prematurely|: partial file|corrupt input packet in stream \d+|Truncating packet/;
const VIDEO_STREAM = /Stream #0:\d+.*?: Video: .*?(\d+(?:\.\d+)?)(k?) (?:fps|tbr)/;
const TAIL_LINES = 40;

/** Incremental parser of ffmpeg's stderr; one per child process. */
export class FfmpegLog {
  /** Problems not yet taken by the reader, in log order. */
  readonly problems: LoggedProblem[] = [];
  /** `pts_time` of the first announced frame, the origin of `timeMs`. */
  firstPts: number | undefined;
  /** The input video's frame rate from its stream line, when ffmpeg printed one. */
  inputFps: number | undefined;
  /** The last lines that were not showinfo lines. */
  readonly tail: string[] = [];
  #frames: LoggedFrame[] = []; // announced and not yet released; #frames[0] is frame #base
  #base = 0;
  #ended = false;
  #partial = '';
  #pendingCorrupt: string | undefined;
  #waiters: Array<() => void> = [];

  /** Feeds a chunk of stderr text. */
  push(text: string): void {
    const lines = (this.#partial + text).split(/\r\n|\r|\n/);
    this.#partial = lines.pop() ?? '';
    for (const line of lines) this.#line(line);
    this.#wake();
  }

  /** Marks the end of stderr; waiting callers are released. */
  end(): void {
    if (this.#partial) this.#line(this.#partial);
    this.#partial = '';
    this.#ended = true;
    this.#wake();
  }

  /** How many frames have been announced. */
  get count(): number {
    return this.#base + this.#frames.length;
  }

  /** Resolves with frame `k` once announced, or undefined if stderr ends without it; frames before `k` are released. */
  async frame(k: number): Promise<LoggedFrame | undefined> {
    while (this.#base < k && this.#frames.length > 0) {
      this.#frames.shift();
      this.#base++;
    }
    while (this.count <= k && !this.#ended) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return this.#frames[k - this.#base];
  }

  /** The most telling error line of the tail, for messages when ffmpeg fails. */
  reason(): string {
    const skip =
      /^(To ignore this|Conversion failed|Exiting normally|Error opening (input|output) files?|Error opening output file)/;
    for (let i = this.tail.length - 1; i >= 0; i--) {
      const line = this.tail[i].trim();
      if (line && !skip.test(line) && !line.startsWith('frame=') && !line.startsWith('video:')) return line;
    }
    return 'no message';
  }

  #line(line: string): void {
    const info = SHOWINFO.exec(line);
    if (info) {
      const pts = Number(info[1]);
      if (this.count === 0 && Number.isFinite(pts)) this.firstPts = pts;
      this.#frames.push({
        ptsTime: Number.isFinite(pts) ? pts : undefined,
        width: Number(info[2]),
        height: Number(info[3]),
        corrupt: this.#pendingCorrupt,
      });
      this.#pendingCorrupt = undefined;
      return;
    }
    if (line.includes('Parsed_showinfo_')) return; // showinfo's extra lines (colour info, side data)
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    if (CORRUPT_FRAME.test(line)) this.#pendingCorrupt = line.trim();
    else if (DECODE_ERROR.test(line))
      this.problems.push({ kind: 'decode-error', afterFrames: this.count, message: line.trim() });
    else if (TRUNCATED.test(line))
      this.problems.push({ kind: 'truncated', afterFrames: this.count, message: line.trim() });
    else if (this.inputFps === undefined) {
      const m = VIDEO_STREAM.exec(line);
      if (m) this.inputFps = Number(m[1]) * (m[2] ? 1000 : 1);
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
