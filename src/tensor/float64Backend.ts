/**
 * The reference kernels over float64 buffers, for gradient checks: finite differences in float32 lose most of
 * their digits to rounding, in float64 they agree with BPTT to 1e-7. The buffers are `Float64Array`s typed as
 * `Float32Array` so the same model code runs on them; use it for checks only, never for real work.
 */
import type { Backend } from './backend.ts';
import { referenceBackend } from './referenceBackend.ts';

export const float64CheckBackend: Backend = {
  ...referenceBackend,
  name: 'reference-f64',
  alloc: (length) => new Float64Array(length) as unknown as Float32Array,
};
