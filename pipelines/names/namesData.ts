/**
 * What the `eddy names ...` commands share: where the fixed split lives, how a split becomes model inputs, and how
 * a names classifier is saved and loaded (its alphabet in `eddy.vocab`, its languages in `eddy.names.languages`).
 */
import {
  type Backend,
  CharAlphabet,
  type Classified,
  type ClassifierData,
  EddyError,
  type EnsembleMember,
  type NamesSplit,
  type RNNModel,
  type BidirectionalClassifier,
  classifyEnsemble,
  loadEnsemble,
  readNamesSplit,
  saveModel,
} from '../../src/index.ts';

/** The fixed split (`seq/splits/names/`), relative to the repository root. */
export const SPLIT_DIR = '../shared/data/seq/splits/names';

/** The three split files of a directory. */
export function splitPaths(dir: string): { train: string; val: string; test: string } {
  return { train: `${dir}/train.tsv`, val: `${dir}/val.tsv`, test: `${dir}/test.tsv` };
}

/** The split's three files, with one language list (the train file's). */
export function readSplits(dir: string): { train: NamesSplit; val: NamesSplit; test: NamesSplit } {
  const p = splitPaths(dir);
  const train = readNamesSplit(p.train);
  return {
    train,
    val: readNamesSplit(p.val, { languages: train.languages }),
    test: readNamesSplit(p.test, { languages: train.languages }),
  };
}

/** A split as model inputs; `reverse` reads each name right to left (for a model trained that way). */
export function encodeSplit(split: NamesSplit, alphabet: CharAlphabet, reverse = false): ClassifierData {
  return {
    seqs: split.names.map((n) => (reverse ? alphabet.encode(n).reverse() : alphabet.encode(n))),
    labels: split.labels,
  };
}

/** A classifier (one model, or an ensemble whose probabilities are averaged) and what it needs to read names. */
export interface NamesClassifier {
  /** One member for a single model; each reads names left to right or (`reverse`) right to left. */
  members: EnsembleMember[];
  alphabet: CharAlphabet;
  languages: string[];
  metadata: Record<string, string>;
}

/** The alphabet of a model saved with its vocabulary (id 0 is the reserved ''). */
export function alphabetOf(model: RNNModel | BidirectionalClassifier, source: string): CharAlphabet {
  const vocab = model.config.vocab ?? [];
  if (vocab[0] !== '') throw new EddyError('ERR_FILE', `${source}: not a names model (no character vocabulary)`);
  return new CharAlphabet(vocab.slice(1));
}

/**
 * Loads a classifier saved by `eddy names train` (one model) or `eddy names ensemble` (several in one file).
 * @throws EddyError ERR_FILE naming the file
 */
export function loadNamesClassifier(path: string, options: { backend?: Backend } = {}): NamesClassifier {
  const { members, metadata } = loadEnsemble(path, options);
  const raw = metadata['eddy.names.languages'];
  if (raw === undefined) throw new EddyError('ERR_FILE', `${path}: not a names classifier (no eddy.names.languages)`);
  const languages = JSON.parse(raw) as string[];
  const alphabet = alphabetOf(members[0].model, path);
  members.forEach((m, i) => {
    if (languages.length !== m.model.config.outputSize)
      throw new EddyError(
        'ERR_FILE',
        `${path}: ${languages.length} languages for ${m.model.config.outputSize} outputs`,
      );
    if (alphabetOf(m.model, path).tokens.join('\n') !== alphabet.tokens.join('\n'))
      throw new EddyError('ERR_FILE', `${path}: member ${i} has another alphabet than member 0`);
  });
  return { members, alphabet, languages, metadata };
}

/** Classifies names (strings) by a classifier: each member reads them in its direction, probabilities averaged. */
export function classifyNames(c: NamesClassifier, names: readonly string[]): Classified {
  return classifyEnsemble(
    c.members,
    names.map((n) => (n === '' ? Int32Array.of(0) : c.alphabet.encode(n))),
  );
}

/** Saves a classifier (atomically) with its languages and any extra metadata. */
export function saveNamesClassifier(
  path: string,
  model: RNNModel | BidirectionalClassifier,
  languages: readonly string[],
  extra: Record<string, string>,
): void {
  saveModel(path, model, {
    ...extra,
    'eddy.task': `surname -> language (${languages.length} languages)`,
    'eddy.names.languages': JSON.stringify(languages),
  });
}

/** Percent with two decimals. */
export function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

/** How a classifier does on the names that train holds under another language, and on the rest. */
export interface SeenElsewhere {
  /** Names of the scored split that occur in train, none of them under their own language here. */
  readonly count: number;
  /** Of those, predicted right. */
  readonly right: number;
  /** Of those, predicted as (one of) the language(s) train gives them. */
  readonly asTrain: number;
  /** The other names, and how many of them are right. */
  readonly others: number;
  readonly othersRight: number;
}

/**
 * The split keeps a name under each of its languages (469 names have several), so a val or test name can be in
 * train under another language: a model that has learnt the training names by heart reads it as that language,
 * which is wrong there by construction. This counts those names apart from the rest.
 * @param train the train split's (name, language id) pairs
 */
export function seenElsewhere(
  train: { readonly names: readonly string[]; readonly labels: Int32Array },
  names: readonly string[],
  labels: Int32Array,
  predictions: Int32Array,
): SeenElsewhere {
  const inTrain = new Map<string, Set<number>>();
  train.names.forEach((n, i) => {
    const s = inTrain.get(n) ?? new Set<number>();
    s.add(train.labels[i]);
    inTrain.set(n, s);
  });
  let count = 0;
  let right = 0;
  let asTrain = 0;
  let othersRight = 0;
  names.forEach((n, i) => {
    const seen = inTrain.get(n);
    if (seen !== undefined && !seen.has(labels[i])) {
      count++;
      if (predictions[i] === labels[i]) right++;
      if (seen.has(predictions[i])) asTrain++;
    } else if (predictions[i] === labels[i]) othersRight++;
  });
  return { count, right, asTrain, others: names.length - count, othersRight };
}
