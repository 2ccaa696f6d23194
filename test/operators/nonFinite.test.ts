/**
 * NaN and infinities are refused at the door, with `ERR_NON_FINITE` naming where (step, key, index), before they
 * reach a carried state: model inputs (`step`, `forward`), the step operators, the keyed operators, initial and
 * restored states, logits before sampling, and video frames before their features.
 */
import { from as ixFrom } from 'ix/asynciterable';
import { firstValueFrom, from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { recurrent } from '../../src/operators/recurrent.ts';
import { recurrentAsync } from '../../src/operators/recurrent.ix.ts';
import { keyedRecurrent } from '../../src/operators/keyedRecurrent.ts';
import { keyedRecurrentAsync } from '../../src/operators/keyedRecurrent.ix.ts';
import { StateControl } from '../../src/operators/stateControl.ts';
import { generate } from '../../src/operators/generate.ts';
import { sample } from '../../src/tensor/sample.ts';
import { Rng } from '../../src/util/rng.ts';
import { EddyError } from '../../src/util/errors.ts';
import { FrameFeatures, resolveFeatureSpec } from '../../src/video/frameFeatures.ts';
import { expectError } from '../helpers/expectError.ts';
import { charGru, collect, denseLstm, vec } from './models.ts';

const bad = (i: number, v = Number.NaN): Float32Array => {
  const x = vec(i);
  x[1] = v;
  return x;
};
async function rejection(p: Promise<unknown>): Promise<EddyError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(EddyError);
    return err as EddyError;
  }
  throw new Error('expected a rejection');
}

describe('model.step and model.forward refuse non-finite inputs and states', () => {
  it('step: naming the index, row and feature, with the state untouched', () => {
    const model = denseLstm();
    const state = model.createState(2);
    const x = new Float32Array(6).fill(0.5);
    x[4] = Number.POSITIVE_INFINITY;
    expectError(() => model.step(x, state), 'ERR_NON_FINITE', 'x[4] is Infinity', 'row 1', 'feature 1');
    expect(state.h.every((v) => v === 0)).toBe(true);
  });
  it('forward: naming the step, row and feature; and a non-finite options.state', () => {
    const model = denseLstm();
    const x = new Float32Array(4 * 2 * 3).fill(0.1);
    x[2 * 6 + 3 + 2] = Number.NaN; // t = 2, b = 1, k = 2
    expectError(
      () => model.forward(x, { T: 4, B: 2 }),
      'ERR_NON_FINITE',
      'x[17] is NaN',
      'step 2',
      'row 1',
      'feature 2',
    );
    const state = model.createState(2);
    (state.c as Float32Array)[5] = Number.NEGATIVE_INFINITY;
    expectError(
      () => model.forward(new Float32Array(24), { T: 4, B: 2, state }),
      'ERR_NON_FINITE',
      'options.state.c[5] is -Infinity',
    );
  });
});

describe('the step operators refuse a non-finite input, naming the step', () => {
  it('recurrent', async () => {
    const err = await rejection(lastValueFrom(from([vec(0), vec(1), bad(2)]).pipe(recurrent(denseLstm()), toArray())));
    expect(err.code).toBe('ERR_NON_FINITE');
    expect(err.message).toMatch(/step 2/);
    expect(err.message).toMatch(/x\[1\] is NaN/);
  });
  it('recurrentAsync', async () => {
    const err = await rejection(
      collect(ixFrom([vec(0), bad(1, Number.POSITIVE_INFINITY)]).pipe(recurrentAsync(denseLstm()))),
    );
    expect(err.code).toBe('ERR_NON_FINITE');
    expect(err.message).toMatch(/step 1/);
  });
  it('keyedRecurrent and keyedRecurrentAsync name the key and leave every state as it was', async () => {
    const model = denseLstm();
    const items = [
      { k: 'a', x: vec(0) },
      { k: 'b', x: bad(1) },
    ];
    const seen: string[] = [];
    const opts = {
      keyOf: (t: (typeof items)[number]) => t.k,
      inputOf: (t: (typeof items)[number]) => t.x,
      onEvict: (key: string) => seen.push(key),
    };
    const err = await rejection(lastValueFrom(from(items).pipe(keyedRecurrent(model, opts), toArray())));
    expect(err.code).toBe('ERR_NON_FINITE');
    expect(err.message).toMatch(/key b/);
    const err2 = await rejection(collect(ixFrom(items).pipe(keyedRecurrentAsync(model, opts))));
    expect(err2.code).toBe('ERR_NON_FINITE');
    expect(err2.message).toMatch(/key b/);
  });
});

describe('states are checked where they enter', () => {
  it('options.initialState as a Float32Array with NaN', () => {
    const model = denseLstm();
    const h = new Float32Array(8);
    h[3] = Number.NaN;
    expectError(
      () => recurrent(model, { initialState: { h, c: new Float32Array(8) } }),
      'ERR_NON_FINITE',
      'options.initialState.h[3] is NaN',
    );
  });
  it('StateControl.restore and a keyed initialState(key)', async () => {
    const model = denseLstm();
    const control = new StateControl();
    const c = new Float32Array(8);
    c[0] = Number.POSITIVE_INFINITY;
    const seen: unknown[] = [];
    from([vec(0), vec(1)])
      .pipe(recurrent(model, { control }))
      .subscribe({
        next: () => {
          if (seen.length === 0) {
            try {
              control.restore({ h: new Float32Array(8), c });
            } catch (e) {
              seen.push(e);
            }
          }
          seen.push(1);
        },
      });
    expect(seen[0]).toBeInstanceOf(EddyError);
    expect((seen[0] as EddyError).code).toBe('ERR_NON_FINITE');
    const err = await rejection(
      lastValueFrom(
        from([vec(0)]).pipe(
          keyedRecurrent(model, { keyOf: () => 'k', initialState: () => ({ h: new Float32Array(8), c }) }),
          toArray(),
        ),
      ),
    );
    expect(err.code).toBe('ERR_NON_FINITE');
    expect(err.message).toMatch(/initialState\(k\)\.c\[0\] is Infinity/);
  });
});

describe('sampling refuses non-finite logits', () => {
  it('sample, greedy or not', () => {
    const logits = Float32Array.of(0.1, Number.NaN, 0.3);
    expectError(() => sample(logits, 0, 3, { temperature: 'greedy' }), 'ERR_NON_FINITE', 'logits[1] is NaN');
    expectError(() => sample(logits, 0, 3, { rng: new Rng(1) }), 'ERR_NON_FINITE', 'logits[1] is NaN');
  });
  it('generate from a model whose weights became NaN', async () => {
    const model = charGru();
    model.param('head.bias').fill(Number.NaN);
    const err = await rejection(firstValueFrom(generate(model, { prime: [1], seed: 1, maxLength: 5 })));
    expect(err.code).toBe('ERR_NON_FINITE');
  });
});

describe('video frames', () => {
  it('a frame with a NaN pixel is refused before it reaches the features (naming the frame)', () => {
    const fx = new FrameFeatures(resolveFeatureSpec({ width: 4, height: 2 }));
    const data = new Float32Array(8).fill(0.5);
    fx.extract({ data, width: 4, height: 2, channels: 1, index: 0 });
    data[6] = Number.NaN;
    expectError(
      () => fx.extract({ data, width: 4, height: 2, channels: 1, index: 1 }),
      'ERR_NON_FINITE',
      'frame 1',
      'data[6] is NaN',
    );
    // the stream goes on as if the bad frame never came
    data[6] = 0.5;
    const y = fx.extract({ data, width: 4, height: 2, channels: 1, index: 2 });
    expect(y.every((v) => Number.isFinite(v))).toBe(true);
  });
});

describe('sampling: -Infinity masks an id', () => {
  it('is allowed, unless every id is masked', () => {
    const masked = Float32Array.of(Number.NEGATIVE_INFINITY, 0.5, Number.NEGATIVE_INFINITY);
    expect(sample(masked, 0, 3, { temperature: 'greedy' })).toBe(1);
    expectError(
      () => sample(new Float32Array(3).fill(Number.NEGATIVE_INFINITY), 0, 3, { rng: new Rng(1) }),
      'ERR_NON_FINITE',
      'nothing to sample',
    );
    expectError(
      () => sample(Float32Array.of(0, Number.POSITIVE_INFINITY), 0, 2, { rng: new Rng(1) }),
      'ERR_NON_FINITE',
      'logits[1] is Infinity',
    );
  });
});

describe('forward: options.checkFinite', () => {
  it('false skips the pass (the NaN flows through); anything but a boolean is refused', () => {
    const model = denseLstm();
    const x = new Float32Array(2 * 3).fill(0.2);
    x[4] = Number.NaN;
    expect(Number.isNaN(model.forward(x, { T: 2, B: 1, checkFinite: false }).y[2])).toBe(true);
    expectError(
      () => model.forward(x, { T: 2, B: 1, checkFinite: 1 as unknown as boolean }),
      'ERR_INVALID_ARG',
      'options.checkFinite',
    );
  });
});
