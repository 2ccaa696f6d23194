/**
 * `eddy translate eval`: corpus BLEU-4 on the test split (all French references of each English sentence count)
 * for the plain model and the attention model, each with greedy and beam decoding, and for the word-by-word
 * baseline (IBM Model 1 dictionary fitted on the training split). Prints a Markdown table, samples (best and worst
 * of the attention+beam output by sentence BLEU), and writes the numbers as JSON and, with --heatmap, a PNG of the
 * attention weights of a few test sentences.
 *
 *   eddy translate eval --plain runs/plain-best.safetensors --model runs/att-best.safetensors --heatmap att.png
 */
import {
  backendByName,
  corpusBleu,
  detokenize,
  EddyError,
  loadTranslator,
  WordByWordBaseline,
  writeAttentionHeatmap,
  type AttentionMap,
  type TranslationGroup,
  type Translator,
} from '../../src/index.ts';
import { writeFileSync } from 'node:fs';
import { backendFlag, defineCommand, seedFlag } from '../cli/command.ts';
import { modelFlag } from '../cli/shippedModels.ts';
import { DEFAULT_PAIRS, loadSplits } from './data.ts';
import { SHIPPED_TRANSLATOR } from './translate.ts';

interface Row {
  system: string;
  bleu: number;
  precisions: number[];
  brevityPenalty: number;
  seconds: number;
}

/** Sentence BLEU with add-one smoothing of the n-gram precisions (only to rank samples). */
function sentenceBleu(hyp: string[], refs: string[][]): number {
  const r = corpusBleu([hyp], [refs]);
  const n = hyp.length;
  const p = r.precisions.map((x, i) => (x * Math.max(0, n - i) + 1) / (Math.max(0, n - i) + 1));
  return r.brevityPenalty * Math.exp(p.reduce((s, x) => s + Math.log(x), 0) / 4);
}

export const command = defineCommand({
  name: 'translate eval',
  summary: 'BLEU-4 on the test split: plain and attention models, greedy and beam, and the word-by-word baseline',
  details: `The split is the one training made (same --input and --seed). Hypotheses and references are compared as
tokens of the tokenizer (lower-case, punctuation split), so the BLEU is a tokenized, case-insensitive BLEU.
Example: eddy translate eval --plain runs/plain-best.safetensors --model runs/att-best.safetensors --heatmap att.png`,
  flags: {
    input: { type: 'input', default: DEFAULT_PAIRS, description: 'the pairs file the models were trained on' },
    model: modelFlag(SHIPPED_TRANSLATOR, 'the attention translator (a file or a shipped name)'),
    plain: { type: 'input', description: 'the plain translator (no attention); its rows are left out without it' },
    'beam-width': { type: 'integer', min: 1, max: 64, default: 5, description: 'beam width k' },
    'length-penalty': { type: 'number', min: 0, default: 1, description: 'rank beams by log p / length^α' },
    limit: { type: 'integer', min: 1, description: 'only the first N test sentences [default: all]' },
    samples: { type: 'integer', min: 0, default: 8, description: 'best and worst samples to print' },
    out: { type: 'output', default: 'runs/translate-eval.json', description: 'the numbers as JSON' },
    heatmap: { type: 'output', description: 'PNG of the attention weights of a few test sentences' },
    backend: backendFlag,
    seed: seedFlag,
  },
  async run(f, ctx) {
    const backend = backendByName(f.backend, { path: '--backend' });
    const att = loadTranslator(f.model, backend).translator;
    if (!att.model.config.attention)
      throw new EddyError('ERR_INVALID_ARG', `--model ${f.model} has no attention (give it as --plain)`);
    const plain = f.plain ? loadTranslator(f.plain, backend).translator : null;
    if (plain?.model.config.attention) throw new EddyError('ERR_INVALID_ARG', `--plain ${f.plain} has attention`);
    const splits = loadSplits(f.input, f.seed);
    const test: TranslationGroup[] = splits.test.slice(0, f.limit ?? splits.test.length);
    ctx.begin();
    const refs = test.map((g) => g.targets);
    const rows: Row[] = [];
    const outputs = new Map<string, string[][]>();
    const score = (system: string, hyps: string[][], seconds: number): void => {
      const r = corpusBleu(hyps, refs);
      rows.push({ system, bleu: r.bleu, precisions: r.precisions, brevityPenalty: r.brevityPenalty, seconds });
      outputs.set(system, hyps);
      ctx.log(`${system}: BLEU ${(100 * r.bleu).toFixed(2)}  (${seconds.toFixed(0)} s)`);
    };
    let t0 = Date.now();
    const baseline = WordByWordBaseline.fit(splits.train.flatMap((g) => g.targets.map((t) => [g.source, t] as const)));
    score(
      'word-by-word baseline (IBM Model 1 dictionary)',
      test.map((g) => baseline.translate(g.source)),
      (Date.now() - t0) / 1000,
    );
    const decodeAll = (tr: Translator, search: 'greedy' | 'beam'): string[][] =>
      test.map((g) => {
        const ids = tr.source.encode(g.source.slice(0, tr.maxSourceLength));
        const out: string[] = [];
        for (const w of tr.decodeIds(ids, { search, beamWidth: f.beamWidth, lengthPenalty: f.lengthPenalty }))
          out.push(tr.target.words[w.id]);
        return out;
      });
    type System = [string, Translator, 'greedy' | 'beam'];
    const systems: System[] = [];
    if (plain) systems.push(['plain, greedy', plain, 'greedy'], [`plain, beam ${f.beamWidth}`, plain, 'beam']);
    systems.push(['attention, greedy', att, 'greedy'], [`attention, beam ${f.beamWidth}`, att, 'beam']);
    for (const [name, tr, search] of systems) {
      t0 = Date.now();
      score(name, decodeAll(tr, search), (Date.now() - t0) / 1000);
    }
    const table = [
      `| system (test split: ${test.length} English sentences, ${refs.flat().length} references) | BLEU-4 | p1 / p2 / p3 / p4 | BP |`,
      '|---|---:|---|---:|',
      ...rows.map(
        (r) =>
          `| ${r.system} | ${(100 * r.bleu).toFixed(2)} | ${r.precisions.map((p) => (100 * p).toFixed(1)).join(' / ')} | ${r.brevityPenalty.toFixed(3)} |`,
      ),
    ];
    process.stdout.write(`${table.join('\n')}\n`);
    const best = outputs.get(`attention, beam ${f.beamWidth}`) ?? [];
    const ranked = test
      .map((g, i) => ({ g, hyp: best[i], s: sentenceBleu(best[i], g.targets) }))
      .filter((x) => x.g.source.length >= 4 || test.length < 50)
      .sort((a, b) => b.s - a.s);
    const show = (x: (typeof ranked)[number]): string =>
      `- ${x.g.english} → ${detokenize(x.hyp, 'fr')}  (reference: ${x.g.french[0]})`;
    if (f.samples > 0) {
      process.stdout.write(`\nBest (attention, beam):\n${ranked.slice(0, f.samples).map(show).join('\n')}\n`);
      process.stdout.write(`\nWorst (attention, beam):\n${ranked.slice(-f.samples).map(show).join('\n')}\n`);
    }
    writeFileSync(
      f.out,
      `${JSON.stringify({ test: test.length, beamWidth: f.beamWidth, lengthPenalty: f.lengthPenalty, rows }, null, 2)}\n`,
    );
    ctx.log(`numbers -> ${f.out}`);
    if (f.heatmap) {
      // four of the best-translated sentences of 5-8 tokens (shorter ones where the test split has too few)
      const mid = (x: (typeof ranked)[number]): boolean => x.g.source.length >= 5 && x.g.source.length <= 8;
      const picks = [...ranked.filter(mid), ...ranked.filter((x) => !mid(x))].slice(0, 4);
      const maps: AttentionMap[] = picks.map((x) => {
        const ids = att.source.encode(x.g.source);
        const output: string[] = [];
        const weights: Float32Array[] = [];
        for (const w of att.decodeIds(ids, { search: 'greedy' })) {
          output.push(att.target.words[w.id]);
          weights.push(w.attention ?? new Float32Array(ids.length));
        }
        return { source: x.g.source.map((s, i) => (ids[i] === 0 ? `${s}*` : s)), output, weights };
      });
      await writeAttentionHeatmap(f.heatmap, maps, 'attention weights (greedy decoding; * = unknown word)');
      ctx.log(`heat-map -> ${f.heatmap}`);
    }
  },
});
