/**
 * `eddy names gen-eval`: measures the conditional generator: N names per language, then (1) closed-loop accuracy:
 * the share the names classifier assigns to the requested language, (2) novelty: the share not in the train split,
 * (3) the val split's NLL per character under the generator, and a few samples per language.
 *
 *   eddy names gen-eval --model names-gen --classifier names --per-language 1000
 */
import { writeFileSync } from 'node:fs';
import { backendByName, conditionalNll, confusionMatrix, loadModel, EddyError, ProgressLine } from '../../src/index.ts';
import { backendFlag, defineCommand, seedFlag } from '../cli/command.ts';
import { modelFlag } from '../cli/shippedModels.ts';
import { SPLIT_DIR, classifyNames, encodeSplit, loadNamesClassifier, pct, readSplits } from './namesData.ts';
import { loadNamesGenerator, sampleName } from './generator.ts';

export const command = defineCommand({
  name: 'names gen-eval',
  summary: 'closed-loop accuracy, novelty and val NLL/char of the names generator',
  details: 'Example: eddy names gen-eval --per-language 1000 --temperature 1 --out runs/gen-eval.json',
  flags: {
    model: modelFlag('names-gen'),
    classifier: modelFlag('names', 'the names classifier that judges the generated names'),
    input: { type: 'input', directory: true, default: SPLIT_DIR, description: 'the split directory' },
    'per-language': {
      type: 'integer',
      min: 1,
      max: 100000,
      default: 1000,
      description: 'names generated per language',
    },
    temperature: { type: 'number', min: 0, max: 10, default: 1, description: 'sampling temperature (0: greedy)' },
    out: { type: 'output', description: 'also write the numbers and samples here (JSON)' },
    backend: backendFlag,
    seed: seedFlag,
  },
  async run(f, ctx) {
    const backend = backendByName(f.backend, { path: '--backend' });
    const g = loadNamesGenerator(f.model, loadModel(f.model, { backend }));
    const c = loadNamesClassifier(f.classifier, { backend });
    const splits = readSplits(f.input);
    if (c.languages.join() !== g.languages.join())
      throw new EddyError('ERR_INVALID_ARG', `--classifier: ${f.classifier} has other languages than ${f.model}`);
    ctx.begin();
    const known = new Set(splits.train.names);
    const val = conditionalNll(g.model, g.table, encodeSplit(splits.val, g.alphabet));
    const K = g.languages.length;
    const names: string[] = [];
    const wanted: number[] = [];
    const progress = ctx.quiet ? null : new ProgressLine({ total: K * f.perLanguage });
    for (let k = 0; k < K; k++)
      for (let i = 0; i < f.perLanguage; i++) {
        names.push(await sampleName(g, k, { seed: f.seed + k * 1_000_003 + i, temperature: f.temperature }));
        wanted.push(k);
        if (names.length % 500 === 0) progress?.update(names.length, { language: g.languages[k] });
      }
    progress?.done();
    const judged = classifyNames(c, names).predictions;
    const m = confusionMatrix(wanted, judged, K);
    const rows = g.languages.map((l, k) => {
      const mine = names.filter((_, i) => wanted[i] === k);
      return {
        language: l,
        closedLoop: m.recall[k],
        novel: mine.filter((n) => !known.has(n)).length / mine.length,
        samples: mine.slice(0, 6),
      };
    });
    const novel = names.filter((n) => !known.has(n)).length / names.length;
    const lines = [
      `${f.model}: ${names.length} names (${f.perLanguage} per language, temperature ${f.temperature}), judged by ${f.classifier}`,
      `closed-loop accuracy ${pct(m.accuracy)}, novel ${pct(novel)}, val NLL ${val.nats.toFixed(4)} nats/char over ${val.chars} characters`,
      '',
      `${'language'.padEnd(12)} closed-loop  novel  samples`,
      ...rows.map(
        (r) =>
          `${r.language.padEnd(12)} ${pct(r.closedLoop).padStart(11)} ${pct(r.novel).padStart(7)}  ${r.samples.join(', ')}`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (f.out)
      writeFileSync(
        f.out,
        JSON.stringify(
          {
            perLanguage: f.perLanguage,
            temperature: f.temperature,
            closedLoop: m.accuracy,
            novel,
            valNats: val.nats,
            rows,
          },
          null,
          1,
        ),
      );
  },
});
