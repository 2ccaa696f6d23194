/**
 * The names generator shared by `eddy names gen-train`, `names generate` and `names gen-eval`: a character model
 * conditioned on a language through a learned initial state (`CategoryStates`), saved as one model file with the
 * table and the languages in its metadata, and `generate` streaming a name from it.
 */
import { type Observable, lastValueFrom, map, toArray } from 'rxjs';
import {
  CategoryStates,
  type CategoryStatesJSON,
  type CharAlphabet,
  EddyError,
  type RNNModel,
  generate,
  loadModel,
  readSafetensors,
  saveModel,
} from '../../src/index.ts';
import { alphabetOf } from './namesData.ts';

/** A generator and what it needs. */
export interface NamesGenerator {
  model: RNNModel;
  table: CategoryStates;
  alphabet: CharAlphabet;
  languages: string[];
  metadata: Record<string, string>;
}

/** Saves a generator atomically. */
export function saveNamesGenerator(
  path: string,
  g: Omit<NamesGenerator, 'metadata'>,
  extra: Record<string, string>,
): void {
  saveModel(path, g.model, {
    ...extra,
    'eddy.task': `language -> surname generator (${g.languages.length} languages, initial-state conditioning)`,
    'eddy.names.languages': JSON.stringify(g.languages),
    'eddy.names.categoryStates': JSON.stringify(g.table.toJSON()),
  });
}

/** Loads a generator saved by `eddy names gen-train`. @throws EddyError ERR_FILE naming the file */
export function loadNamesGenerator(path: string, model?: RNNModel): NamesGenerator {
  const metadata = readSafetensors(path).metadata;
  const rawTable = metadata['eddy.names.categoryStates'];
  const rawLangs = metadata['eddy.names.languages'];
  if (rawTable === undefined || rawLangs === undefined)
    throw new EddyError('ERR_FILE', `${path}: not a names generator (no eddy.names.categoryStates)`);
  const m = model ?? loadModel(path);
  const table = CategoryStates.fromJSON(JSON.parse(rawTable) as CategoryStatesJSON, m, path);
  return { model: m, table, alphabet: alphabetOf(m, path), languages: JSON.parse(rawLangs) as string[], metadata };
}

/** The language id of a name, or an error listing the known ones. */
export function languageId(languages: readonly string[], name: string, flag = '--language'): number {
  const k = languages.findIndex((l) => l.toLowerCase() === name.toLowerCase());
  if (k < 0)
    throw new EddyError('ERR_INVALID_ARG', `${flag}: unknown language "${name}" (known: ${languages.join(', ')})`);
  return k;
}

/** One name's characters as a stream: `generate` from the language's initial state, stopping at id 0. */
export function nameChars(
  g: NamesGenerator,
  language: number,
  options: { seed: number; temperature: number; maxLength?: number },
): Observable<string> {
  return generate(g.model, {
    prime: 0,
    initialState: g.table.stateOf(language),
    stopToken: 0,
    seed: options.seed,
    temperature: options.temperature,
    maxLength: options.maxLength ?? 24,
  }).pipe(map((id) => g.alphabet.tokens[id]));
}

/** One whole name. */
export async function sampleName(
  g: NamesGenerator,
  language: number,
  options: { seed: number; temperature: number; maxLength?: number },
): Promise<string> {
  return (await lastValueFrom(nameChars(g, language, options).pipe(toArray()))).join('');
}
