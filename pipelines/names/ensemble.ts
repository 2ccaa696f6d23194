/**
 * `eddy names ensemble`: packs trained names classifiers (from `eddy names train`, each reading left to right or,
 * trained with `--reverse`, right to left) into one model file whose members' probabilities are averaged, and
 * prints each member's and the ensemble's val scores. `eddy names eval` and `eddy names live` read the file as
 * they read a single model.
 *
 *   eddy names ensemble --members runs/a.safetensors,runs/b.safetensors --out runs/names-ensemble.safetensors
 */
import {
  BidirectionalClassifier,
  backendByName,
  confusionMatrix,
  saveEnsemble,
  type EnsembleMember,
} from '../../src/index.ts';
import { backendFlag, defineCommand } from '../cli/command.ts';
import { UsageError } from '../cli/flags.ts';
import { SPLIT_DIR, classifyNames, loadNamesClassifier, pct, readSplits, type NamesClassifier } from './namesData.ts';

export const command = defineCommand({
  name: 'names ensemble',
  summary: 'packs names classifiers into one file that averages their probabilities (scores on val)',
  details: `--members is a comma-separated list of model files (each a single model or an ensemble; all with the
same languages and alphabet). The val split is scored for each member and for the ensemble; the test split is
left to eddy names eval. --dtype f16 stores the weights in half precision (half the file), --dtype i8 each weight
matrix as int8 with a scale per row (a quarter; biases stay float32); eddy computes in float32 either way.
Example: eddy names ensemble --members runs/n1.safetensors,runs/n1r.safetensors --out runs/names-ens.safetensors`,
  flags: {
    members: { type: 'string', required: true, description: 'the model files to pack, comma-separated' },
    input: { type: 'input', directory: true, default: SPLIT_DIR, description: 'the split directory (val.tsv scored)' },
    out: { type: 'output', default: 'runs/names-ensemble.safetensors', description: 'the ensemble file' },
    dtype: { type: 'choice', choices: ['f32', 'f16', 'i8'], default: 'f32', description: 'how the weights are stored' },
    backend: backendFlag,
  },
  async run(f, ctx) {
    const paths = f.members
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
    if (paths.length === 0) throw new UsageError(`--members: expected one or more model files but received ""`);
    const backend = backendByName(f.backend, { path: '--backend' });
    const parts: NamesClassifier[] = paths.map((p) => loadNamesClassifier(p, { backend }));
    parts.forEach((c, i) => {
      if (c.languages.join() !== parts[0].languages.join())
        throw new UsageError(`--members: ${paths[i]} has other languages than ${paths[0]}`);
      if (c.alphabet.tokens.join('\n') !== parts[0].alphabet.tokens.join('\n'))
        throw new UsageError(`--members: ${paths[i]} has another alphabet than ${paths[0]}`);
    });
    const splits = readSplits(f.input);
    if (splits.val.languages.join() !== parts[0].languages.join())
      throw new UsageError(`--members: ${paths[0]} has other languages than ${f.input}/train.tsv`);
    ctx.begin();
    const K = parts[0].languages.length;
    const score = (c: NamesClassifier): { accuracy: number; macroF1: number } => {
      const m = confusionMatrix(splits.val.labels, classifyNames(c, splits.val.names).predictions, K);
      return { accuracy: m.accuracy, macroF1: m.macroF1 };
    };
    const lines: string[] = [];
    parts.forEach((c, i) => {
      const v = score(c);
      const dir = c.members
        .map((m) =>
          m.model instanceof BidirectionalClassifier ? 'bidirectional' : m.reverse ? 'right to left' : 'left to right',
        )
        .join(', ');
      lines.push(`${paths[i]} (${dir}): val accuracy ${pct(v.accuracy)}, macro-F1 ${v.macroF1.toFixed(3)}`);
    });
    const members: EnsembleMember[] = parts.flatMap((c) => c.members);
    const all: NamesClassifier = { ...parts[0], members };
    const meta = {
      'eddy.task': `surname -> language (${K} languages)`,
      'eddy.names.languages': JSON.stringify(parts[0].languages),
      // each member's run settings; a part that is itself an ensemble passes on its own list (provenance kept)
      'eddy.names.members': JSON.stringify(parts.flatMap((c, i) => membersOf(c, paths[i]))),
    };
    const dtype = f.dtype as 'f32' | 'f16' | 'i8';
    saveEnsemble(f.out, members, { ...meta, 'eddy.names.val': JSON.stringify(score(all)) }, { dtype });
    // the scores of the file as written (f16 or i8 rounding included), recorded in it
    const written = loadNamesClassifier(f.out, { backend });
    const v = score(written);
    saveEnsemble(f.out, written.members, { ...meta, 'eddy.names.val': JSON.stringify(v) }, { dtype });
    lines.push(
      `${f.out}: an ensemble of ${members.length}${dtype === 'f32' ? '' : ` (${dtype} weights)`}, val accuracy ${pct(v.accuracy)}, macro-F1 ${v.macroF1.toFixed(3)}`,
    );
    process.stdout.write(`${lines.join('\n')}\n`);
  },
});

/** The provenance entries of a packed part: its own settings, or (an ensemble) the list it was packed with. */
function membersOf(c: NamesClassifier, file: string): { file: string; settings: unknown; seed?: number }[] {
  const packed = c.metadata['eddy.names.members'];
  if (packed !== undefined && c.members.length > 1) {
    try {
      const list = JSON.parse(packed) as { file: string; settings: unknown }[];
      if (Array.isArray(list) && list.length > 0) return list;
    } catch {
      // an unreadable list: fall through to the file itself
    }
  }
  const seed = c.metadata['eddy.names.seed'];
  return [
    {
      file,
      settings: c.metadata['eddy.names.settings'] ?? null,
      ...(seed !== undefined ? { seed: Number(seed) } : {}),
    },
  ];
}
