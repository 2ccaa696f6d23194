/**
 * Operators: recurrent models inside RxJS and IxJS streams.
 *
 * Naming convention, for every operator:
 * - `name(...)` in `name.ts` is the RxJS form (an `OperatorFunction`, or an `Observable` for a source such as
 *   `generate`);
 * - `nameAsync(...)` in `name.ix.ts` is the IxJS (pull) mirror with the same arguments and options (plus
 *   `signal`), an operator over async-iterables (or sync iterables) returning an `AsyncIterableX`.
 * Both are thin wrappers over one shared core (`Stepper`, `KeyedStepper`, `generateCore`, `seq2seqCore`).
 * Options are validated at the call, before any subscription, and throw `EddyError` `ERR_INVALID_ARG` naming
 * the option; failures inside a stream become stream errors. State lives in one subscription (iteration).
 */
export { Stepper, checkModel, outputWidth, resolveState, type StepInput, type StateLike } from './stepper.ts';
export { StateControl } from './stateControl.ts';
export type { RecurrentOptions, ResetOn } from './recurrentOptions.ts';
export { recurrent } from './recurrent.ts';
export { recurrentAsync } from './recurrent.ix.ts';
export { recurrentTransform } from './recurrentTransform.ts';
export { recurrentLast } from './recurrentLast.ts';
export { recurrentLastAsync } from './recurrentLast.ix.ts';
export type { GenerateOptions, GenerateEachOptions, SamplingOptions, Sequence } from './generateCore.ts';
export { generate } from './generate.ts';
export { generateAsync } from './generate.ix.ts';
export { generateEach } from './generateEach.ts';
export { generateEachAsync } from './generateEach.ix.ts';
export type { Seq2seqOptions } from './seq2seqCore.ts';
export { seq2seq } from './seq2seq.ts';
export { seq2seqAsync } from './seq2seq.ix.ts';
export { KeyedStepper, type EvictReason, type KeyedStateOptions } from './keyedStepper.ts';
export type { KeyedRecurrentOptions, KeyedOutput, MicroBatchOptions } from './keyedOptions.ts';
export { keyedRecurrent } from './keyedRecurrent.ts';
export { keyedRecurrentAsync } from './keyedRecurrent.ix.ts';
export { bounded, createBoundedStats, type BoundedOptions, type BoundedStats, type BackpressurePolicy } from './bounded.ts';
export type { AsyncOperator } from './ixCore.ts';

// training operators
export { trainOn, type TrainOnOptions } from './train.ts';
export { trainOnAsync } from './train.ix.ts';
export { tbpttWindows } from './windows.ts';
export { tbpttWindowsAsync, type TbpttWindowsAsyncOptions } from './windows.ix.ts';
