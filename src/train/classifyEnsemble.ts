/**
 * Many-to-one inference by an ensemble: each member classifies every sequence (`classifySequences`), reading it
 * right to left when the member was trained that way, and the class probabilities are averaged (the arithmetic
 * mean over members, every member weighted alike).
 *
 * 1. A member with `reverse: true` sees each sequence reversed (its last id first): a forward and a reversed
 *    member together read a sequence from both ends, a late-fusion form of a bidirectional classifier.
 * 2. The prediction is the most probable class of the mean; one member gives exactly `classifySequences`.
 *
 * @example
 * const { members } = loadEnsemble('names.safetensors');
 * const { predictions } = classifyEnsemble(members, test.seqs);
 */
import type { EnsembleMember } from '../model/ensembleFile.ts';
import { classifySequences, type Classified } from './classifySequences.ts';
import { invalidArg } from '../util/errors.ts';
import { checkInt } from '../util/validate.ts';

/** A sequence read right to left (a new array). */
export function reversedSequence(seq: Int32Array): Int32Array {
  return Int32Array.from(seq).reverse();
}

/**
 * Classifies sequences by the mean of the members' class probabilities.
 * @param members one or more members with the same number of classes
 * @param seqs `[N]` id sequences of at least one id
 * @param batchSize rows per forward. @default 256
 * @returns the mean probabilities `[N, K]` and their most probable class `[N]`
 * @throws EddyError ERR_INVALID_ARG naming `members`, `members[i].model` or `seqs`
 */
export function classifyEnsemble(
  members: readonly EnsembleMember[],
  seqs: readonly Int32Array[],
  batchSize = 256,
): Classified {
  if (!Array.isArray(members) || members.length === 0)
    throw invalidArg('members', 'a non-empty array of ensemble members', members);
  if (!Array.isArray(seqs)) throw invalidArg('seqs', 'an array of id sequences', seqs);
  checkInt('batchSize', batchSize, 1);
  const K = members[0].model?.config?.outputSize;
  members.forEach((m, i) => {
    if (m?.model?.config?.outputSize !== K)
      throw invalidArg(`members[${i}].model`, `a classifier with ${K} outputs (as members[0])`, m?.model);
  });
  const N = seqs.length;
  const probs = new Float32Array(N * K); // [N, K] the mean
  let reversed: Int32Array[] | null = null;
  for (const m of members) {
    if (m.reverse && reversed === null) reversed = seqs.map(reversedSequence);
    const p = classifySequences(m.model, m.reverse ? (reversed as Int32Array[]) : seqs, batchSize).probs;
    for (let i = 0; i < p.length; i++) probs[i] += p[i] / members.length;
  }
  const predictions = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (probs[n * K + k] > probs[n * K + best]) best = k;
    predictions[n] = best;
  }
  return { predictions, probs };
}
