/**
 * Frame-level video labelling: per-frame features, a recurrent frame labeller trained with truncated BPTT over
 * clips joined into long streams, its per-frame baseline, evaluation, live labelling of one or many videos with
 * real-time accounting, and report pictures.
 */
export { resolveFeatureSpec, checkFrameSize, sequenceFeatures, resizeGray, sizeText, FrameFeatures, type FrameFeatureOptions, type FrameFeatureSpec, type FrameLike, type CropRect } from './frameFeatures.ts';
export { createFrameLabeler, saveFrameLabeler, loadFrameLabeler, frameLabelerMetadata, VIDEO_METADATA_KEY, type FrameLabeler, type FrameLabelerOptions, type LoadFrameLabelerOptions } from './frameLabeler.ts';
export { PerFrameClassifier, type PerFrameOptions } from './perFrameClassifier.ts';
export { joinClips, checkClips, type LabeledClip, type JoinClipsOptions, type JoinedStreams } from './joinClips.ts';
export { trainFrameLabeler, trainPerFrame, type TrainFramesOptions, type TrainFramesResult } from './trainFrameLabeler.ts';
export { labelClips, labelClipsPerFrame, type ClipPredictions } from './labelClips.ts';
export { frameMetrics, type FrameMetrics, type FrameMetricsOptions } from './frameMetrics.ts';
export { readVideoClip, gridSpeechClip, digitClips, GRID_SPEECH_LABELS, DIGIT_LABELS, type ReadVideoClipOptions, type VideoClip, type DigitClipsOptions } from './videoClips.ts';
export {
  FrameLabelCore, createLiveStats, latencySummary, resolveFrameLabelsOptions,
  type FrameLabel, type FrameLabelsOptions, type LiveFrame, type LiveStats,
} from './frameLabelCore.ts';
export { frameLabels } from './frameLabels.ts';
export { frameLabelsAsync } from './frameLabels.ix.ts';
export { keyedFrameLabels, type KeyedFrameLabel, type KeyedFrameLabelsOptions } from './keyedFrameLabels.ts';
export { labelVideo, labelVideos$, type LabelVideoOptions, type LabelVideosOptions } from './labelVideo.ts';
export { writeContactSheet, writeLabelTimeline, labelTimelineSvg, type SheetFrame, type ContactSheetOptions, type TimelineData } from './labelReports.ts';
