/**
 * Translator files: safetensors with the parameters under their names (`encoder.weight_ih_l0`, ...) and, in the
 * metadata, `eddy.translator` (config and longest source), `eddy.vocab.en` / `eddy.vocab.fr` (the words of each
 * id, JSON), plus whatever the caller adds (`eddy.task`, `eddy.bleu`, training run).
 */
import type { Backend } from '../tensor/backend.ts';
import { readSafetensors, writeSafetensors, type SafetensorsInput } from '../model/safetensors.ts';
import { EddyError } from '../util/errors.ts';
import { checkOneOf } from '../util/validate.ts';
import { Translator } from './translator.ts';
import { TranslatorModel, type TranslatorConfig } from './translatorModel.ts';
import { WordVocabulary } from './wordVocabulary.ts';

/** The metadata of a translator (to add to a checkpoint's). */
export function translatorMetadata(t: Translator, extra: Record<string, string> = {}): Record<string, string> {
  return {
    format: 'pt',
    'eddy.translator': JSON.stringify({ ...t.model.config, maxSourceLength: t.maxSourceLength }),
    'eddy.vocab.en': JSON.stringify(t.source.words),
    'eddy.vocab.fr': JSON.stringify(t.target.words),
    ...extra,
  };
}

/**
 * Writes a translator atomically, with `extra` tensors (optimizer state) and metadata. `options.dtype: 'f16'` stores
 * the model's weights in half precision (half the bytes; loaded back to float32, eddy computes in float32); extra
 * tensors stay float32.
 * @throws EddyError ERR_INVALID_ARG naming the weight when `options.dtype` is `'f16'` and a weight does not fit
 */
export function saveTranslator(
  path: string,
  t: Translator,
  extra: { tensors?: Record<string, SafetensorsInput>; metadata?: Record<string, string> } = {},
  options: { dtype?: 'f32' | 'f16' } = {},
): void {
  const dtype = checkOneOf('options.dtype', options.dtype ?? 'f32', ['f32', 'f16'] as const);
  const model: Record<string, SafetensorsInput> = t.model.tensors();
  if (dtype === 'f16') for (const [k, v] of Object.entries(model)) model[k] = { ...v, dtype: 'F16' };
  writeSafetensors(path, { ...model, ...extra.tensors }, translatorMetadata(t, extra.metadata));
}

/**
 * Reads a translator written by `saveTranslator`.
 * @returns the translator, the file's metadata and its other tensors
 * @throws EddyError ERR_FILE naming the file when it is missing, corrupt, or not a translator
 */
export function loadTranslator(
  path: string,
  backend?: Backend,
): { translator: Translator; metadata: Record<string, string>; tensors: Map<string, Float32Array> } {
  const file = readSafetensors(path);
  const meta = file.metadata;
  let cfg: TranslatorConfig & { maxSourceLength: number };
  let en: string[];
  let fr: string[];
  try {
    cfg = JSON.parse(meta['eddy.translator'] ?? 'null') as typeof cfg;
    en = JSON.parse(meta['eddy.vocab.en'] ?? 'null') as string[];
    fr = JSON.parse(meta['eddy.vocab.fr'] ?? 'null') as string[];
  } catch {
    throw new EddyError('ERR_FILE', `Cannot load ${path}: its translator metadata is not valid JSON`);
  }
  if (!cfg || !en || !fr)
    throw new EddyError('ERR_FILE', `Cannot load ${path}: not an eddy translator (no eddy.translator metadata)`);
  const { maxSourceLength, ...config } = cfg;
  const model = new TranslatorModel(config, backend);
  const rest = new Map<string, Float32Array>();
  for (const [name, t] of file.tensors) rest.set(name, t.data);
  for (const e of model.spec) {
    const t = file.tensors.get(e.name);
    if (!t || t.data.length !== e.size)
      throw new EddyError('ERR_FILE', `Cannot load ${path}: tensor ${e.name} is missing or not of shape [${e.shape}]`);
    model.params.set(t.data, e.offset);
    rest.delete(e.name);
  }
  const translator = new Translator(model, new WordVocabulary(en), new WordVocabulary(fr), maxSourceLength);
  return { translator, metadata: meta, tensors: rest };
}
