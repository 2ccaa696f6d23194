/**
 * Gives an episode workspace's buffers back to the model's backend: code that makes a workspace per call (an
 * image's glimpse stream, an evaluation) would otherwise fill a wasm or native backend's memory, which `alloc`
 * never returns by itself. The workspace must not be used afterwards.
 */
import { releaseBuffers } from '../tensor/releaseBuffers.ts';
import type { RamWorkspace } from './ramWorkspace.ts';
import type { RamModel } from './ramModel.ts';
import type { RamSequenceWorkspace } from './ramSequence.ts';

export function releaseRamWorkspace(model: RamModel, ws: RamWorkspace): void {
  releaseBuffers(model.backend, Object.values(ws.scratch));
  releaseBuffers(model.backend, Object.values(ws));
}

/** The same for a sequence workspace (its episode workspace included). */
export function releaseRamSequenceWorkspace(model: RamModel, sws: RamSequenceWorkspace): void {
  releaseRamWorkspace(model, sws.ws);
  releaseBuffers(model.backend, Object.values(sws));
}
