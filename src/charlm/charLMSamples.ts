/**
 * The samples a char-LM training takes as it goes, as a Markdown file next to its checkpoint
 * (`runs/wp.safetensors` -> `runs/wp.samples.md`): one section per sample point with the update count, the
 * validation loss measured at that update and the minutes of training so far, then the text in a fence. The
 * samples are kept in the checkpoint's run record and the file is rewritten whole (atomically) from it at each
 * sample point, so a killed and resumed run continues the file without duplicates or gaps: samples taken after
 * the last checkpoint are dropped on resume and taken again as the run redoes those updates.
 */
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '../util/atomicWrite.ts';

/** One sample point of a training run. */
export interface CharLMSample {
  /** Updates done when the sample was taken. */
  step: number;
  /** Validation loss in nats/char at that update (NaN when the corpus has no validation split). */
  valLoss: number;
  /** Training time so far, across resumes. */
  elapsedMs: number;
  /** The generated text. */
  text: string;
}

/** `<stem>.samples.md` next to the checkpoint `<stem>.safetensors`. */
export function charLMSamplesPath(checkpoint: string): string {
  return join(dirname(checkpoint), `${basename(checkpoint).replace(/\.safetensors$/, '')}.samples.md`);
}

/**
 * The Markdown of a run's samples. `about` is one line under the title (the model and how the samples were
 * drawn).
 */
export function charLMSamplesMarkdown(corpus: string, about: string, samples: readonly CharLMSample[]): string {
  const parts = [`# Samples during training on ${basename(corpus)}\n\n${about}\n`];
  for (const s of samples) {
    const val = Number.isNaN(s.valLoss)
      ? 'no validation split'
      : `validation ${s.valLoss.toFixed(4)} nats/char (${(s.valLoss / Math.LN2).toFixed(4)} bits/char)`;
    // a fence longer than any run of backticks in the text
    const ticks = Math.max(3, ...Array.from(s.text.matchAll(/`+/g), (m) => m[0].length + 1));
    const fence = '`'.repeat(ticks);
    parts.push(
      `## After ${s.step} updates\n\n${val}, ${(s.elapsedMs / 60_000).toFixed(1)} minutes of training\n\n${fence}text\n${s.text}\n${fence}\n`,
    );
  }
  return parts.join('\n');
}

/** Writes the samples file atomically (a reader never sees half of it). @returns the path */
export function writeCharLMSamples(
  checkpoint: string,
  corpus: string,
  about: string,
  samples: readonly CharLMSample[],
): string {
  const path = charLMSamplesPath(checkpoint);
  writeFileAtomic(path, charLMSamplesMarkdown(corpus, about, samples));
  return path;
}
