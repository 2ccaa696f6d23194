/**
 * `eddy names eval`: a names classifier's accuracy and macro-F1 on a split of the fixed split (test by default),
 * the per-language scores, the names that train holds under another language apart from the rest, and the confusion
 * matrix as a PNG.
 *
 *   eddy names eval --model names --split test --out runs/names-confusion.png
 */
import { backendByName, confusionMatrix, readNamesSplit, writeConfusionMatrix } from '../../src/index.ts';
import { backendFlag, defineCommand } from '../cli/command.ts';
import { modelFlag } from '../cli/shippedModels.ts';
import { SPLIT_DIR, classifyNames, loadNamesClassifier, pct, seenElsewhere } from './namesData.ts';

export const command = defineCommand({
  name: 'names eval',
  summary: "a names classifier's accuracy, macro-F1 and confusion matrix on the test split",
  details: `Reads SPLIT/{train,val,test}.tsv (name<TAB>language); names with a character the model's alphabet lacks are
read with the unknown id 0. An ensemble file (eddy names ensemble) averages its members' probabilities.
Example: eddy names eval --model runs/names-best.safetensors --out runs/confusion.png`,
  flags: {
    model: modelFlag('names'),
    input: { type: 'input', directory: true, default: SPLIT_DIR, description: 'the split directory' },
    split: { type: 'choice', choices: ['train', 'val', 'test'], default: 'test', description: 'which file to score' },
    out: { type: 'output', description: 'write the confusion matrix here (PNG)' },
    backend: backendFlag,
  },
  async run(f, ctx) {
    const c = loadNamesClassifier(f.model, { backend: backendByName(f.backend, { path: '--backend' }) });
    const split = readNamesSplit(`${f.input}/${f.split}.tsv`, { languages: c.languages });
    ctx.begin();
    const { predictions } = classifyNames(c, split.names);
    const m = confusionMatrix(split.labels, predictions, c.languages.length);
    const lines = [
      `${f.model}${c.members.length > 1 ? ` (ensemble of ${c.members.length})` : ''} on ${split.source} (${split.names.length} names): accuracy ${pct(m.accuracy)}, macro-F1 ${m.macroF1.toFixed(3)}`,
      '',
      `${'language'.padEnd(12)} ${'n'.padStart(5)} recall precision   F1`,
      ...c.languages.map(
        (l, k) =>
          `${l.padEnd(12)} ${String(m.support[k]).padStart(5)} ${m.recall[k].toFixed(3).padStart(6)} ${m.precision[k].toFixed(3).padStart(9)} ${m.f1[k].toFixed(3).padStart(6)}`,
      ),
    ];
    if (f.split !== 'train') {
      const train = readNamesSplit(`${f.input}/train.tsv`, { languages: c.languages });
      const s = seenElsewhere(train, split.names, split.labels, predictions);
      lines.push(
        '',
        `names train holds under another language: ${s.count} (${pct(s.count / split.names.length)}), ${s.right} right, ` +
          `${s.asTrain} read as their train language; the other ${s.others}: accuracy ${s.others > 0 ? pct(s.othersRight / s.others) : 'n/a'}`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    if (f.out) {
      await writeConfusionMatrix(f.out, m, c.languages, {
        title: `names classifier on ${f.split} (${split.names.length} names)`,
      });
      ctx.log(`${ctx.name}: wrote ${f.out}`);
    }
  },
});
