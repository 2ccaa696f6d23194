import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProgressLine, formatDuration } from '../../src/util/progress.ts';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(c, _e, cb) {
      chunks.push(String(c));
      cb();
    },
  }) as Writable & { isTTY?: boolean };
  stream.isTTY = isTTY;
  return { stream, chunks };
}

describe('ProgressLine', () => {
  it('formats durations', () => {
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(965)).toBe('16m05s');
    expect(formatDuration(3720)).toBe('1h02m');
    expect(formatDuration(Number.NaN)).toBe('?');
  });
  it('prints step, percentage, fields, rate and ETA; throttles lines off a terminal', () => {
    let t = 0;
    const { stream, chunks } = sink(false);
    const p = new ProgressLine({ total: 100, stream, minIntervalMs: 1000, now: () => t });
    t = 10_000;
    const line = p.update(10, { loss: '1.873', 'chars/s': '1,950' });
    expect(line).toBe('step 10/100  10.0%  loss 1.873  1,950 chars/s  ETA 1m30s');
    t = 10_500;
    p.update(11, { loss: '1.8' });
    expect(chunks).toHaveLength(1); // throttled
    p.update(12, { loss: '1.7' }, true);
    expect(chunks).toHaveLength(2);
    p.log('sample: "To be"');
    expect(chunks[2]).toBe('sample: "To be"\n');
  });
  it('rewrites one line on a terminal', () => {
    const { stream, chunks } = sink(true);
    const p = new ProgressLine({ stream, now: () => 0 });
    p.update(1, { loss: '2' });
    p.update(2, { loss: '1' });
    p.done();
    expect(chunks[0].startsWith('\rstep 1')).toBe(true);
    expect(chunks[1].startsWith('\rstep 2')).toBe(true);
    expect(chunks[2]).toBe('\n');
  });
});

describe('ProgressLine of a resumed run', () => {
  it('counts the steps done before it in the step, not in the rate', () => {
    let t = 0;
    const { stream } = sink(false);
    const p = new ProgressLine({ total: 100, offset: 50, stream, now: () => t });
    t = 10_000;
    expect(p.update(60, {})).toBe('step 60/100  60.0%  ETA 40s');
  });
});
