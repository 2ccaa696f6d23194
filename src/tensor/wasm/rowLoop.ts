/**
 * The loop every pointwise kernel shares: over `rows` rows, over the row's elements four at a time (v128), then
 * the last `n % 4` one at a time with the same body (each lane computed alike, lane 0 stored), so any width works
 * and nothing is read or written past a row's end.
 *
 * A body addresses its streams through `Row.load(base, gate)` / `Row.store(base, gate, value)`: byte address
 * `base + j + gate·gateBytes`, where `j` is the byte offset inside the row and `gateBytes` the distance between
 * two gates of one row (H floats, set by the kernel). `next` advances the row pointers.
 *
 * @example
 * // C[i, :] += bias for every row
 * rowLoop(f, { rows: 'M', rowBytes: 'nb', body: (r) => r.store('c', 0, () => { r.load('c').load('bias'); f.f32x4Add(); }), next: () => f.inc('c', 'nb') });
 */
import type { FunctionBuilder } from './wasmEmitter.ts';

/** How a body reads and writes: four lanes at a time, or one (splat on load, lane 0 on store). */
export interface Lanes {
  readonly bytes: number;
  load(f: FunctionBuilder): void;
  store(f: FunctionBuilder): void;
}

const VEC: Lanes = { bytes: 16, load: (f) => f.v128Load(), store: (f) => f.v128Store() };
const ONE: Lanes = { bytes: 4, load: (f) => f.v128Load32Splat(), store: (f) => f.f32x4ExtractLane(0).f32Store() };

/** Addressing inside one row, for the lanes of the current loop. */
export class Row {
  private readonly f: FunctionBuilder;
  private readonly lanes: Lanes;

  constructor(f: FunctionBuilder, lanes: Lanes) {
    this.f = f;
    this.lanes = lanes;
  }

  private addr(base: string, gate: number): void {
    this.f.get(base).get('j').i32Add();
    if (gate > 0) this.f.get(`gate${gate}`).i32Add();
  }

  /** Pushes the lanes at `base + j + gate·gateBytes`. */
  load(base: string, gate = 0): this {
    this.addr(base, gate);
    this.lanes.load(this.f);
    return this;
  }

  /** Stores what `value` pushes at `base + j + gate·gateBytes`. */
  store(base: string, gate: number, value: () => void): this {
    this.addr(base, gate);
    value();
    this.lanes.store(this.f);
    return this;
  }
}

/** What `rowLoop` emits, by i32 local names and callbacks. */
export interface RowLoopSpec {
  /** i32 local: number of rows */
  readonly rows: string;
  /** i32 local: bytes per row of one gate (4·width) */
  readonly rowBytes: string;
  /** The elementwise body, emitted twice (four lanes, then one). */
  readonly body: (r: Row) => void;
  /** Advances the row pointers after each row. */
  readonly next: () => void;
  /** Emitted before each row (e.g. to look up where the row comes from). */
  readonly start?: () => void;
  /** Gates per row: declares `gate1..gate{gates-1}` = k·`gateBytes`. @default 1 */
  readonly gates?: number;
  /** i32 local: bytes between two gates of a row. @default rowBytes */
  readonly gateBytes?: string;
}

/** Declares `j`, `rowI` and the gate offsets, then emits the loop over rows and elements. */
export function rowLoop(f: FunctionBuilder, spec: RowLoopSpec): void {
  const { rows, rowBytes, body, next, start } = spec;
  f.local('j', 'i32');
  f.local('rowI', 'i32');
  for (let k = 1; k < (spec.gates ?? 1); k++) {
    f.local(`gate${k}`, 'i32');
    f.get(spec.gateBytes ?? rowBytes)
      .i32Const(k)
      .i32Mul()
      .set(`gate${k}`);
  }
  const vec = new Row(f, VEC),
    one = new Row(f, ONE);
  f.while(
    () => f.get('rowI').get(rows).i32LtS(),
    () => {
      start?.();
      f.i32Const(0).set('j');
      f.while(
        () => f.get('j').i32Const(16).i32Add().get(rowBytes).i32LeS(),
        () => {
          body(vec);
          f.inc('j', 16);
        },
      );
      f.while(
        () => f.get('j').get(rowBytes).i32LtS(),
        () => {
          body(one);
          f.inc('j', 4);
        },
      );
      next();
      f.inc('rowI', 1);
    },
  );
}
