/**
 * eddy's public door: everything a user (and `pipelines/`) may import. Grouped by layer, imports flow one way:
 * util -> tensor -> cells -> model -> train -> operators; sources beside operators.
 */

// util
export { EddyError, invalidArg, shapeError, type EddyErrorCode } from './util/errors.ts';
export { Rng, type RngState } from './util/rng.ts';
export { writeFileAtomic, writeFileAtomicAsync } from './util/atomicWrite.ts';

// tensor: kernels
export type { Backend } from './tensor/backend.ts';
export { referenceBackend } from './tensor/referenceBackend.ts';
export { jsBackend } from './tensor/jsBackend.ts';
export { float64CheckBackend } from './tensor/float64Backend.ts';
export { wasmBackend, createWasmBackend, wasmSimdSupported, type WasmBackend, type WasmBackendOptions } from './tensor/wasmBackend.ts';
export { createNativeBackend, nativeAvailable, nativeProblem, nativeInfo, type NativeBackendOptions } from './tensor/nativeBackend.ts';
export { backendByName, BACKEND_NAMES, type BackendName } from './tensor/backendByName.ts';
export { softmaxRows, softmaxCrossEntropy } from './tensor/softmax.ts';
export { sigmoid, relu, sigmoidGradFromOutput, tanhGradFromOutput, reluGradFromOutput } from './tensor/activations.ts';

// cells
export { CELL_KINDS, GATE_NAMES, type CellKernel, type CellKind } from './cells/cellKernel.ts';
export { cellFor } from './cells/cellFor.ts';
export { lstmCell } from './cells/lstmCell.ts';
export { gruCell } from './cells/gruCell.ts';
export { rnnTanhCell, rnnReluCell } from './cells/rnnCell.ts';

// model
export { RNNModel, type CreateOptions, type ForwardOptions, type ForwardResult } from './model/rnnModel.ts';
export { resolveConfig, type ModelOptions, type ModelConfig, type InputKind } from './model/modelConfig.ts';
export { paramLayout, type ParamLayout, type ParamEntry } from './model/paramLayout.ts';
export type { Workspace } from './model/workspace.ts';
export { cloneState, copyState, serializeState, deserializeState, type RecurrentState, type SerializedState } from './model/recurrentState.ts';
export { modelFromStateDict, stateDictOf, inferOptions, type StateTensor, type FromStateDictOptions } from './model/stateDict.ts';
export { saveModel, saveModelAsync, loadModel, loadModelAsync, modelFromSafetensors, modelMetadata, modelTensors, type LoadModelOptions } from './model/modelFile.ts';
export {
  encodeSafetensors, decodeSafetensors, readSafetensors, readSafetensorsAsync, writeSafetensors, writeSafetensorsAsync,
  type SafetensorsFile, type SafetensorsInput, type SafetensorsTensor,
} from './model/safetensors.ts';

// train: optimizers, clipping, schedules
export { createOptimizer, OPTIMIZER_NAMES, type Optimizer, type OptimizerState, type OptimizerOptions } from './train/optimizer.ts';
export { sgd, type SgdOptions } from './train/sgd.ts';
export { adam, adamw, type AdamOptions } from './train/adam.ts';
export { adagrad, type AdagradOptions } from './train/adagrad.ts';
export { rmsprop, type RmspropOptions } from './train/rmsprop.ts';
export { clipGradNorm, clipGradValue, type ClipGradNormOptions } from './train/clip.ts';
export { createSchedule, type Schedule, type ScheduleOptions } from './train/schedule.ts';
export { checkFinite, checkFiniteLoss } from './train/checkFinite.ts';
export { saveCheckpoint, loadCheckpoint, type Checkpoint, type CheckpointParts } from './train/checkpoint.ts';

// train: truncated BPTT
export { Trainer, type TrainerOptions, type TrainEvent, type TrainerState, type EvalResult } from './train/trainer.ts';
export {
  PARTIAL_WINDOWS, resolveGeometry, countWindows, windowSpan,
  type PartialWindow, type TbpttWindow, type FullWindow, type IdWindow, type WindowGeometryOptions, type WindowGeometry, type WindowSpan,
} from './train/windows.ts';
export { charRnnBatches, sequenceWindows, type ArrayWindowsOptions, type CharRnnBatchesOptions, type SequenceData } from './train/charRnnBatches.ts';
export { TbpttWindower, resolveWindowsOptions, type TbpttStep, type TbpttWindowsOptions, type ResolvedWindowsOptions } from './train/tbpttWindows.ts';
export {
  sequenceCrossEntropy, manyToOneCrossEntropy, sequenceMse, lossFor, LOSS_NAMES,
  type SequenceLoss, type LossShape, type LossResult, type LossName, type Reduction,
} from './train/losses.ts';

// operators: models inside RxJS and IxJS streams
export * from './operators/index.ts';
export { sample, sampleResolved, argmax, createSampleScratch, resolveSampleOptions, type SampleOptions, type SampleScratch } from './tensor/sample.ts';

// sources
export * from './sources/index.ts';

// character-level language models
export { trainCharLM, writePlots as writeCharLMPlots, type TrainCharLMResult, type TrainCharLMHooks, type CharLMPoint } from './charlm/trainCharLM.ts';
export { resolveCharLMOptions, type TrainCharLMOptions } from './charlm/charLMOptions.ts';
export { generateText, generateText$, vocabularyOf, type GenerateTextOptions } from './charlm/generateText.ts';
export { readCorpus, type ReadCorpusOptions } from './charlm/readCorpus.ts';
export { evaluateCharLM, type EvaluateCharLMOptions, type CharLMEvaluation } from './charlm/evaluateCharLM.ts';

// reports and progress
export { ProgressLine, formatDuration, type ProgressOptions } from './util/progress.ts';
export { linePlotSvg, renderLinePlot, writeLinePlot, type PlotSeries, type LinePlotOptions } from './report/linePlot.ts';

// frame-level video labelling
export * from './video/index.ts';
