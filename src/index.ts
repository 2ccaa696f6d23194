/**
 * eddy's public door: every name a user (and `pipelines/`) may import, listed by name and grouped by layer.
 * Imports flow one way: util -> tensor -> cells -> model -> train -> operators; sources beside the operators;
 * applications (charlm, video, report) on top. Internals (option resolvers, checks, scratch helpers, adapters)
 * stay out; `test/api/publicSurface.test.ts` snapshots this list so that a change to it is deliberate.
 *
 * Naming rule for the RxJS / IxJS pairs: the RxJS form has the plain name (an `OperatorFunction` or an
 * `Observable`), the IxJS form ends in `Async` (an operator over async-iterables or an `AsyncIterableX`), with the
 * same arguments and options.
 */

// util: errors, seeded random numbers, atomic files, progress
export { EddyError, type EddyErrorCode } from './util/errors.ts';
export { Rng, type RngState } from './util/rng.ts';
export { writeFileAtomic, writeFileAtomicAsync } from './util/atomicWrite.ts';
export { ProgressLine, formatDuration, type ProgressOptions } from './util/progress.ts';

// tensor: kernels, softmax, sampling
export type { Backend } from './tensor/backend.ts';
export { referenceBackend } from './tensor/referenceBackend.ts';
export { jsBackend } from './tensor/jsBackend.ts';
export { float64CheckBackend } from './tensor/float64Backend.ts';
export {
  wasmBackend,
  createWasmBackend,
  wasmSimdSupported,
  type WasmBackend,
  type WasmBackendOptions,
} from './tensor/wasmBackend.ts';
export {
  createNativeBackend,
  nativeAvailable,
  nativeProblem,
  nativeInfo,
  type NativeBackendOptions,
} from './tensor/nativeBackend.ts';
export { backendByName, BACKEND_NAMES, type BackendName } from './tensor/backendByName.ts';
export { softmaxRows, softmaxCrossEntropy } from './tensor/softmax.ts';
export { sample, argmax, type SampleOptions } from './tensor/sample.ts';

// cells: one step forward and backward, PyTorch's gate layout
export { CELL_KINDS, GATE_NAMES, type CellKernel, type CellKind } from './cells/cellKernel.ts';
export { cellFor } from './cells/cellFor.ts';
export { lstmCell } from './cells/lstmCell.ts';
export { gruCell } from './cells/gruCell.ts';
export { rnnTanhCell, rnnReluCell } from './cells/rnnCell.ts';

// model: stacked cells over one flat buffer, window BPTT, streaming step, files
export { RNNModel, type CreateOptions, type ForwardOptions, type ForwardResult } from './model/rnnModel.ts';
export type { ModelOptions, ModelConfig, InputKind } from './model/modelConfig.ts';
export type { ParamLayout, ParamEntry } from './model/paramLayout.ts';
export type { Workspace } from './model/workspace.ts';
export {
  cloneState,
  copyState,
  serializeState,
  deserializeState,
  type RecurrentState,
  type SerializedState,
} from './model/recurrentState.ts';
export { modelFromStateDict, stateDictOf, type StateTensor, type FromStateDictOptions } from './model/stateDict.ts';
export {
  saveModel,
  saveModelAsync,
  loadModel,
  loadModelAsync,
  modelFromSafetensors,
  modelMetadata,
  modelTensors,
  type LoadModelOptions,
} from './model/modelFile.ts';
export {
  encodeSafetensors,
  decodeSafetensors,
  readSafetensors,
  readSafetensorsAsync,
  writeSafetensors,
  writeSafetensorsAsync,
  type SafetensorsFile,
  type SafetensorsInput,
  type SafetensorsTensor,
} from './model/safetensors.ts';
// model files as F16 (issue 16)
export type { SaveModelOptions } from './model/modelFile.ts';
// model (issue 18): category conditioning through a learned initial state per category
export { CategoryStates, type CategoryStatesJSON } from './model/categoryStates.ts';

// train: optimizers, clipping, schedules, checkpoints
export { OPTIMIZER_NAMES, type Optimizer, type OptimizerState } from './train/optimizer.ts';
export { createOptimizer, type OptimizerOptions } from './train/createOptimizer.ts';
export { sgd, type SgdOptions } from './train/sgd.ts';
export { adam, adamw, type AdamOptions } from './train/adam.ts';
export { adagrad, type AdagradOptions } from './train/adagrad.ts';
export { rmsprop, type RmspropOptions } from './train/rmsprop.ts';
export { clipGradNorm, clipGradValue, type ClipGradNormOptions } from './train/clip.ts';
export { createSchedule, type Schedule, type ScheduleOptions } from './train/schedule.ts';
export { checkFinite, checkFiniteLoss } from './train/checkFinite.ts';
export {
  saveCheckpoint,
  loadCheckpoint,
  loadClassifierCheckpoint,
  type Checkpoint,
  type CheckpointParts,
} from './train/checkpoint.ts';

// train: truncated BPTT
export { Trainer, type TrainerOptions, type TrainEvent, type TrainerState, type EvalResult } from './train/trainer.ts';
export {
  PARTIAL_WINDOWS,
  type PartialWindow,
  type TbpttWindow,
  type FullWindow,
  type IdWindow,
  type WindowGeometryOptions,
  type WindowGeometry,
  type WindowSpan,
} from './train/windows.ts';
export {
  charRnnBatches,
  sequenceWindows,
  type ArrayWindowsOptions,
  type CharRnnBatchesOptions,
  type SequenceData,
} from './train/charRnnBatches.ts';
export type { TbpttStep, TbpttWindowsOptions } from './train/tbpttWindows.ts';
export {
  sequenceCrossEntropy,
  manyToOneCrossEntropy,
  sequenceMse,
  lossFor,
  LOSS_NAMES,
  type SequenceLoss,
  type LossShape,
  type LossResult,
  type LossName,
  type Reduction,
} from './train/losses.ts';
// train (issue 18): variable-length batches (padding + masks), class weights, many-to-one and one-to-many epochs
export { padBatch, type PadBatchOptions, type PaddedBatch } from './train/padBatch.ts';
export { weightedCrossEntropy, balancedClassWeights } from './train/weightedCrossEntropy.ts';
export {
  trainClassifierEpoch,
  type ClassifierData,
  type TrainClassifierEpochOptions,
  type Distillation,
} from './train/trainClassifierEpoch.ts';
export { softTargetCrossEntropy, softenProbabilities } from './train/softTargetCrossEntropy.ts';
export { classifySequences, type Classified } from './train/classifySequences.ts';
export {
  trainConditionalEpoch,
  conditionalNll,
  type TrainConditionalEpochOptions,
} from './train/trainConditionalEpoch.ts';
export { mixtureDensityLoss, sampleMixture } from './train/mixtureDensity.ts';

// operators: models inside RxJS streams (plain name) and IxJS async-iterables (`...Async`)
export type { StepInput, StateLike } from './operators/stepper.ts';
export { StateControl } from './operators/stateControl.ts';
export type { RecurrentOptions, ResetOn } from './operators/recurrentOptions.ts';
export { recurrent } from './operators/recurrent.ts';
export { recurrentAsync } from './operators/recurrent.ix.ts';
export { recurrentTransform } from './operators/recurrentTransform.ts';
export { recurrentLast } from './operators/recurrentLast.ts';
export { recurrentLastAsync } from './operators/recurrentLast.ix.ts';
export type { GenerateOptions, GenerateEachOptions, SamplingOptions, Sequence } from './operators/generateCore.ts';
export { generate } from './operators/generate.ts';
export { generateAsync } from './operators/generate.ix.ts';
export { generateEach } from './operators/generateEach.ts';
export { generateEachAsync } from './operators/generateEach.ix.ts';
export type { Seq2seqOptions } from './operators/seq2seqCore.ts';
export { seq2seq } from './operators/seq2seq.ts';
export { seq2seqAsync } from './operators/seq2seq.ix.ts';
export type { EvictReason, KeyedStateOptions } from './operators/keyedStepper.ts';
export type { KeyedRecurrentOptions, KeyedOutput, MicroBatchOptions } from './operators/keyedOptions.ts';
export { keyedRecurrent } from './operators/keyedRecurrent.ts';
export { keyedRecurrentAsync } from './operators/keyedRecurrent.ix.ts';
export {
  bounded,
  createBoundedStats,
  type BoundedOptions,
  type BoundedStats,
  type BackpressurePolicy,
} from './operators/bounded.ts';
export type { AsyncOperator } from './operators/ixCore.ts';
export { trainOn, type TrainOnOptions } from './operators/train.ts';
export { trainOnAsync } from './operators/train.ix.ts';
export { tbpttWindows } from './operators/windows.ts';
export { tbpttWindowsAsync, type TbpttWindowsAsyncOptions } from './operators/windows.ix.ts';

// sources: RxJS Observables (plain name) and IxJS async-iterables (`...Async`); they know no model
export {
  Vocabulary,
  createEncodeStats,
  type EncodeStats,
  type UnknownPolicy,
  type VocabularyOptions,
} from './sources/vocabulary.ts';
export type { TextInput } from './sources/textBytes.ts';
export { textChunks, textChunksAsync, type TextOptions } from './sources/textChunks.ts';
export { textChars, textCharsAsync, textIds, textIdsAsync, type TextIdsOptions } from './sources/textChars.ts';
export {
  loadMnist,
  mnistPaths,
  parseMnistImages,
  parseMnistLabels,
  type MnistSet,
  type MnistPaths,
  type MnistLoadOptions,
} from './sources/mnist.ts';
export {
  translatedMnist,
  translatedMnistAsync,
  clutteredMnist,
  clutteredMnistAsync,
  movingDigitClips,
  movingDigitClipsAsync,
  type PlacedMnistOptions,
  type PlacedMnistSample,
  type MovingDigitOptions,
  type MovingDigitClip,
} from './sources/mnistGenerators.ts';
export {
  glimpse,
  rasterLocations,
  type Pixels,
  type GlimpseLocation,
  type GlimpseOptions,
} from './sources/glimpse.ts';
export { decodeImage, type DecodeImageOptions } from './sources/decodeImage.ts';
export {
  glimpses,
  glimpsesAsync,
  type GlimpseLocations,
  type GlimpseStep,
  type GlimpsesOptions,
  type LocationPolicy,
} from './sources/glimpses.ts';
export { bytesToPlanar, planarToBytes, type Frame, type SkipInfo, type CorruptPolicy } from './sources/frames.ts';
export type { FrameSourceOptions } from './sources/framesOptions.ts';
export { videoFrames, videoFramesAsync, type VideoFramesOptions } from './sources/ffmpegFrames.ts';
export { animatedFrames, animatedFramesAsync, type AnimatedFramesOptions } from './sources/animatedFrames.ts';
export {
  imageDirFrames,
  imageDirFramesAsync,
  listNumberedImages,
  type ImageDirFramesOptions,
} from './sources/imageDirFrames.ts';
export { writeClip, type WriteClipOptions, type ClipShape } from './sources/writeClip.ts';
export { writeClipWebp, type WriteClipWebpOptions } from './sources/writeClipWebp.ts';
export {
  readGridAlign,
  parseGridAlign,
  gridAlignLabels,
  isSilent,
  type AlignSegment,
  type GridAlignOptions,
} from './sources/gridAlign.ts';
// sources (issue 18): the sequence data sets (names split, character alphabets)
export {
  readNamesSplit,
  parseNamesSplit,
  type NamesSplit,
  type ReadNamesSplitOptions,
} from './sources/readNamesSplit.ts';
export { CharAlphabet } from './sources/charAlphabet.ts';
export {
  readSentiment,
  parseLabelledSentences,
  type SentimentData,
} from './sources/readSentiment.ts';
export { readPendigits, type PenDigits } from './sources/readPendigits.ts';

// character-level language models
export {
  trainCharLM,
  writePlots as writeCharLMPlots,
  type TrainCharLMResult,
  type TrainCharLMHooks,
  type CharLMPoint,
} from './charlm/trainCharLM.ts';
export type { TrainCharLMOptions } from './charlm/charLMOptions.ts';
export { generateText, generateTextAsync, vocabularyOf, type GenerateTextOptions } from './charlm/generateText.ts';
export { readCorpus, type ReadCorpusOptions } from './charlm/readCorpus.ts';
export { evaluateCharLM, type EvaluateCharLMOptions, type CharLMEvaluation } from './charlm/evaluateCharLM.ts';
// char-LM wave 2 (issue 16): the samples file of a training run
export {
  charLMSamplesPath,
  charLMSamplesMarkdown,
  writeCharLMSamples,
  type CharLMSample,
} from './charlm/charLMSamples.ts';

// reports: PNG pictures
export { renderLinePlot, writeLinePlot, type PlotSeries, type LinePlotOptions } from './report/linePlot.ts';
// reports (issue 18): confusion matrix, macro-F1 and its picture
export { confusionMatrix, type ConfusionMatrix } from './report/confusionMatrix.ts';
export {
  renderConfusionMatrix,
  writeConfusionMatrix,
  type ConfusionMatrixPlotOptions,
} from './report/confusionMatrixPlot.ts';

// sentence classification baseline (issue 18): bag of words + logistic regression
export {
  trainBagOfWordsLogistic,
  wordTokens,
  type BagOfWordsOptions,
  type BagOfWordsClassifier,
} from './sentiment/bagOfWordsLogistic.ts';

// frame-level video labelling
export {
  FrameFeatures,
  type FrameFeatureOptions,
  type FrameFeatureSpec,
  type FrameLike,
  type CropRect,
} from './video/frameFeatures.ts';
export {
  createFrameLabeler,
  saveFrameLabeler,
  loadFrameLabeler,
  frameLabelerMetadata,
  VIDEO_METADATA_KEY,
  type FrameLabeler,
  type FrameLabelerOptions,
  type LoadFrameLabelerOptions,
} from './video/frameLabeler.ts';
export { PerFrameClassifier, type PerFrameOptions } from './video/perFrameClassifier.ts';
export { joinClips, type LabeledClip, type JoinClipsOptions, type JoinedStreams } from './video/joinClips.ts';
export {
  trainFrameLabeler,
  trainPerFrame,
  type TrainFramesOptions,
  type TrainFramesResult,
} from './video/trainFrameLabeler.ts';
export { labelClips, labelClipsPerFrame, type ClipPredictions } from './video/labelClips.ts';
export { frameMetrics, type FrameMetrics, type FrameMetricsOptions } from './video/frameMetrics.ts';
export {
  readVideoClip,
  gridSpeechClip,
  digitClips,
  GRID_SPEECH_LABELS,
  DIGIT_LABELS,
  type ReadVideoClipOptions,
  type VideoClip,
  type DigitClipsOptions,
} from './video/videoClips.ts';
export {
  createLiveStats,
  latencySummary,
  type FrameLabel,
  type FrameLabelsOptions,
  type LiveFrame,
  type LiveStats,
} from './video/frameLabelCore.ts';
export { frameLabels } from './video/frameLabels.ts';
export { frameLabelsAsync } from './video/frameLabels.ix.ts';
export { keyedFrameLabels, type KeyedFrameLabel, type KeyedFrameLabelsOptions } from './video/keyedFrameLabels.ts';
export {
  labelVideos,
  labelVideoAsync,
  type LabelVideoOptions,
  type LabelVideosOptions,
} from './video/labelVideo.ts';
export {
  writeContactSheet,
  writeLabelTimeline,
  type SheetFrame,
  type ContactSheetOptions,
  type TimelineData,
} from './video/labelReports.ts';

// scale-out: Redis Streams
export { runRedisWorker, type RedisWorker, type RedisWorkerStats } from './redis/runRedisWorker.ts';
export type { RedisWorkerOptions, RedisWorkerEvent } from './redis/redisWorkerOptions.ts';
export { describeRedisWorkerEvent } from './redis/describeRedisWorkerEvent.ts';
export { createRedisProducer, type RedisProducer, type RedisProducerOptions } from './redis/redisProducer.ts';
export { redisOutputs } from './redis/redisOutputs.ts';
export { redisOutputsAsync } from './redis/redisOutputs.ix.ts';
export type { RedisOutput, RedisOutputsOptions } from './redis/redisOutputsCore.ts';
export type { RedisTarget } from './redis/redisConnection.ts';
export {
  redisShardKeys,
  shardOf,
  compareStreamIds,
  type RedisShardKeys,
} from './redis/redisKeys.ts';
export {
  encodeStepInput,
  encodeKeyState,
  decodeKeyState,
  type StoredKeyState,
} from './redis/redisCodec.ts';

// ---- speed (issue 17): the native backend's probe of the machine's read bandwidth (the bench's roofline) ----
export { nativeReadBandwidth } from './tensor/nativeBackend.ts';
export type { WeightPrecision, LowpWeights, StreamPlan } from './tensor/backend.ts';

// ---- translation (issue 13): word-level English -> French encoder-decoder with dot-product attention ----
export { dotAttentionForward, dotAttentionBackward } from './cells/dotAttention.ts';
export { tokenize, detokenize, normalizeSentence, type Language } from './translate/wordTokenizer.ts';
export {
  WordVocabulary,
  UNK,
  BOS,
  EOS,
  type WordVocabularyOptions,
} from './translate/wordVocabulary.ts';
export { corpusBleu, type BleuResult } from './translate/corpusBleu.ts';
export {
  readTranslationPairs,
  splitTranslationPairs,
  type TranslationGroup,
  type TranslationSplits,
} from './translate/translationPairs.ts';
export {
  TranslatorModel,
  translatorSpec,
  type TranslatorConfig,
  type TranslatorParam,
  type TranslatorLayout,
} from './translate/translatorModel.ts';
export {
  translatorLoss,
  lossWorkspace,
  type TranslationBatch,
  type LossWorkspace,
} from './translate/translatorLoss.ts';
export { translationBatches, type IdPair } from './translate/translationBatches.ts';
export { TranslatorTrainer, type TranslatorTrainerOptions } from './translate/translatorTrainer.ts';
export { TranslatorDecoder } from './translate/translatorDecoder.ts';
export { greedyDecode, beamDecode, type DecodedWord, type DecodeOptions } from './translate/decodeTranslation.ts';
export { Translator, type TranslatedWord, type TranslateOptions } from './translate/translator.ts';
export { saveTranslator, loadTranslator, translatorMetadata } from './translate/translatorFile.ts';
export { translateWords } from './translate/translateWords.ts';
export { translateWordsAsync } from './translate/translateWords.ix.ts';
export { WordByWordBaseline, type WordByWordOptions } from './translate/wordByWordBaseline.ts';
export { attentionHeatmapSvg, writeAttentionHeatmap, type AttentionMap } from './report/attentionHeatmap.ts';
// glimpses: the recurrent attention model (issue 14; Mnih et al. 2014)
export { RamModel, type RamOffsets } from './ram/ramModel.ts';
export { ramLayout, type RamOptions, type RamConfig, type RamTensorSpec } from './ram/ramConfig.ts';
export { createRamWorkspace, type RamPolicy, type RamWorkspace } from './ram/ramWorkspace.ts';
export { ramLocate } from './ram/ramLocation.ts';
export { ramReset, ramObserve, ramClassify, ramForward, ramBackward, type RamLoss } from './ram/ramEpisode.ts';
export {
  ramTask,
  drawRamBatch,
  ramTrainStep,
  RAM_TASK_NAMES,
  type RamTask,
  type RamTaskName,
} from './ram/ramTraining.ts';
export { ramEvaluate, type RamEvaluateOptions, type RamEvaluation } from './ram/ramEvaluate.ts';
export { ramGlimpses, ramGlimpsesAsync, type RamGlimpsesOptions, type RamEvent } from './ram/ramGlimpses.ts';
export {
  saveRamModel,
  loadRamModel,
  saveRamCheckpoint,
  loadRamCheckpoint,
  type LoadedRamModel,
  type RamCheckpointParts,
  type SaveRamModelOptions,
} from './ram/ramModelFile.ts';
// ensembles of classifiers (issue 18: names): several models in one file, probabilities averaged, each member
// reading left to right or right to left
export {
  saveEnsemble,
  loadEnsemble,
  ENSEMBLE_KEY,
  REVERSE_KEY,
  type EnsembleMember,
  type LoadedEnsemble,
} from './model/ensembleFile.ts';
export { classifyEnsemble, reversedSequence } from './train/classifyEnsemble.ts';

// several objects (Ba, Mnih, Kavukcuoglu 2015): digits side by side read as a sequence of labels and a stop symbol,
// with learned glimpses or a fixed raster of patches (issue 14)
export { ramLocationBackward } from './ram/ramLocation.ts';
export { ramStepBackward } from './ram/ramEpisode.ts';
export { drawMultiMnist, type MultiMnistSample } from './sources/multiMnist.ts';
export {
  RAM_STOP,
  RAM_SEQUENCE_CLASSES,
  ramSequenceTask,
  ramRasterLocations,
  createRamSequenceWorkspace,
  ramSequenceForward,
  ramSequenceBackward,
  ramDecodeSequences,
  type RamSequencePolicy,
  type RamSequenceTask,
  type RamSequenceTaskOptions,
  type RamSequenceWorkspace,
  type RamSequenceLoss,
} from './ram/ramSequence.ts';
export {
  drawRamSequenceBatch,
  ramSequenceTrainStep,
  ramSequenceEvaluate,
  type RamSequenceEvaluateOptions,
  type RamSequenceEvaluation,
} from './ram/ramSequenceTraining.ts';

// --- Giving backend memory back (issue 17): per-stream and per-episode buffers of a wasm or native backend ---
export { releaseBuffers } from './tensor/releaseBuffers.ts';
export { releaseRamWorkspace, releaseRamSequenceWorkspace } from './ram/releaseRamWorkspace.ts';
// a jointly trained bidirectional classifier (issue 18: names): PyTorch's bidirectional=True over padded batches,
// the reverse direction reading each row's own ids last to first, a head over [h_fwd, h_rev]; files load into
// PyTorch and back (`loadClassifier`, and ensembles of such members)
export {
  BidirectionalClassifier,
  bidirectionalParamCount,
  reverseWithinLengths,
  type BidirectionalConfig,
  type BidirectionalCreateOptions,
  type BidirectionalForwardOptions,
  type BidirectionalPass,
} from './model/bidirectionalClassifier.ts';
export { loadClassifier, classifierFromSafetensors } from './model/modelFile.ts';
export { bidirectionalFromStateDict, isBidirectionalStateDict } from './model/stateDict.ts';
