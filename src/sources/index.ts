/**
 * Sources: text, vocabulary, MNIST and its generators, retina glimpses. They emit typed arrays and know no model.
 *
 * Naming convention, for every streaming source:
 * - `name(...)` returns an IxJS `AsyncIterableX` (pull; the consumer sets the pace);
 * - `name$(...)` returns an RxJS `Observable` (push), with the same arguments and options.
 * Both wrap one async-generator core (`sourceCore.ts`): a fresh generator per iteration or subscription, the
 * `AbortSignal` (`options.signal`, plus IxJS's iterator signal or the unsubscription) checked on every pull, and
 * cleanup in `finally`. Arguments and options are validated when `name(...)` / `name$(...)` is called, before any
 * generator starts, and throw `EddyError` `ERR_INVALID_ARG` naming the option.
 */
export { asIterable, asObservable, checkAborted, type SourceCore } from './sourceCore.ts';
export { Vocabulary, createEncodeStats, type EncodeStats, type UnknownPolicy, type VocabularyOptions } from './vocabulary.ts';
export type { TextInput } from './textBytes.ts';
export { textChunks, textChunks$, splitCodePoints, countCodePoints, type TextOptions } from './textChunks.ts';
export { textChars, textChars$, textIds, textIds$, type TextIdsOptions } from './textChars.ts';
export {
  loadMnist,
  mnistPaths,
  parseMnistImages,
  parseMnistLabels,
  type MnistSet,
  type MnistPaths,
  type MnistLoadOptions,
} from './mnist.ts';
export {
  translatedMnist,
  translatedMnist$,
  clutteredMnist,
  clutteredMnist$,
  movingDigitClips,
  movingDigitClips$,
  drawPlacedMnist,
  makeMovingDigitClip,
  type PlacedMnistOptions,
  type PlacedMnistSample,
  type MovingDigitOptions,
  type MovingDigitClip,
  type ResolvedMovingDigitOptions,
} from './mnistGenerators.ts';
export { glimpse, glimpseInto, retina, rasterLocations, type Pixels, type GlimpseLocation, type GlimpseOptions } from './glimpse.ts';
export { decodeImage, type DecodeImageOptions } from './decodeImage.ts';
export { glimpses, glimpses$, type GlimpseLocations, type GlimpseStep, type GlimpsesOptions, type LocationPolicy } from './glimpses.ts';
export { bytesToPlanar, planarToBytes, type Frame, type SkipInfo, type CorruptPolicy } from './frames.ts';
export type { FrameSourceOptions } from './framesOptions.ts';
export { videoFrames, videoFrames$, type VideoFramesOptions } from './ffmpegFrames.ts';
export { animatedFrames, animatedFrames$, type AnimatedFramesOptions } from './animatedFrames.ts';
export { imageDirFrames, imageDirFrames$, listNumberedImages, type ImageDirFramesOptions } from './imageDirFrames.ts';
export { writeClip, type WriteClipOptions, type ClipShape } from './writeClip.ts';
export { writeClipWebp, type WriteClipWebpOptions } from './writeClipWebp.ts';
export { readGridAlign, parseGridAlign, gridAlignLabels, isSilent, type AlignSegment, type GridAlignOptions } from './gridAlign.ts';
