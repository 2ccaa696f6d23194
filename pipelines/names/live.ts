/**
 * `eddy names live`: a name's language as it is typed. The characters are a stream; `recurrent` steps the
 * classifier once per character (the state carried between them), and after every character the top-3 languages
 * of the output so far are printed. With no `--name`, every line of stdin is a name.
 *
 *   eddy names live --name Schmidt
 *   S        Dutch 21.3%   English 18.0%  Italian 12.0%
 *   Sc       ...
 */
import { createInterface } from 'node:readline';
import { from, lastValueFrom, map, tap, zip } from 'rxjs';
import {
  BidirectionalClassifier,
  backendByName,
  classifySequences,
  recurrent,
  reversedSequence,
  softmaxRows,
  type RNNModel,
} from '../../src/index.ts';
import { backendFlag, defineCommand } from '../cli/command.ts';
import { UsageError } from '../cli/flags.ts';
import { modelFlag } from '../cli/shippedModels.ts';
import { loadNamesClassifier, type NamesClassifier } from './namesData.ts';

/** The top-k languages of a probability row: `[language, probability]`, most probable first. */
export function topLanguages(probs: Float32Array, languages: readonly string[], k: number): [string, number][] {
  return [...probs]
    .map((v, i) => [languages[i], v] as [string, number])
    .sort((a, b) => b[1] - a[1])
    .slice(0, k);
}

/**
 * Streams one name through the classifier; resolves with the lines printed (one per character). A member that
 * reads left to right is stepped by `recurrent` (its state carried from one character to the next); a member that
 * reads right to left re-reads the reversed prefix after each character (a name is short). A bidirectional member
 * does both: its forward direction steps with carried state, its reverse direction re-reads the prefix (last
 * character first), and its head reads the two states; a stacked bidirectional member re-reads the whole prefix
 * (its upper layers read the reverse direction at every position). The members' probabilities are averaged.
 */
export async function liveName(
  c: NamesClassifier,
  name: string,
  k: number,
  write: (line: string) => void,
): Promise<string[]> {
  const chars = [...name];
  const ids = chars.map((ch) => c.alphabet.id(ch));
  const K = c.languages.length;
  const bis = c.members.flatMap((m) => (m.model instanceof BidirectionalClassifier ? [m.model] : []));
  // a stacked bidirectional member has no carried-state form: it re-reads the whole prefix after each character
  const bi = bis.filter((m) => m.config.numLayers === 1);
  const stacked = bis.filter((m) => m.config.numLayers > 1);
  const uni = c.members.flatMap((m) => (m.model instanceof BidirectionalClassifier ? [] : [m]));
  const forward = uni.filter((m) => !m.reverse).map((m) => m.model as RNNModel);
  const backward = uni.filter((m) => m.reverse).map((m) => m.model as RNNModel);
  const biDirs = bi.map((m) => m.directions());
  const lines: string[] = [];
  // one stream of outputs per forward reader (logits of a member, or the forward state of a bidirectional one),
  // zipped with the step index
  const logits = [...forward, ...biDirs.map((d) => d.forward)].map((m) => from(ids).pipe(recurrent(m)));
  await lastValueFrom(
    zip(from(chars.keys()), ...logits).pipe(
      map(([t, ...ys]) => {
        const p = new Float32Array(K); // [K] the mean of the members' probabilities
        const one = new Float32Array(K);
        const add = (y: Float32Array): void => {
          softmaxRows(one, 0, y, 0, 1, K);
          for (let j = 0; j < K; j++) p[j] += one[j] / c.members.length;
        };
        for (const y of ys.slice(0, forward.length)) add(y);
        const reversedPrefix = reversedSequence(Int32Array.from(ids.slice(0, t + 1)));
        const prefix = Int32Array.from(ids.slice(0, t + 1));
        for (const [m, seq] of [
          ...backward.map((m) => [m, reversedPrefix] as const),
          ...stacked.map((m) => [m, prefix] as const),
        ]) {
          const q = classifySequences(m, [seq]).probs;
          for (let j = 0; j < K; j++) p[j] += q[j] / c.members.length;
        }
        bi.forEach((m, i) => {
          // the reverse direction re-reads the prefix, last character first: its state after the first character
          const H = m.config.hiddenSize;
          const hr = biDirs[i].reverse.forward(reversedPrefix, { T: t + 1, B: 1 }).y.slice(t * H, (t + 1) * H);
          add(m.logitsOf(ys[forward.length + i], hr));
        });
        return [t, p] as const;
      }),
      tap(([t, p]) => {
        const typed = chars.slice(0, t + 1).join('');
        const top = topLanguages(p, c.languages, k)
          .map(([l, q]) => `${l} ${(100 * q).toFixed(1)}%`.padEnd(18))
          .join(' ');
        const line = `${typed.padEnd(Math.max(12, chars.length + 2))}${top.trimEnd()}`;
        lines.push(line);
        write(line);
      }),
    ),
    { defaultValue: null },
  );
  return lines;
}

export const command = defineCommand({
  name: 'names live',
  summary: "a surname's top-3 languages after every typed character (recurrent over the characters)",
  details: `Characters the model's alphabet lacks are read as the unknown id 0. With an ensemble, the members'
probabilities are averaged (a member reading right to left re-reads the reversed prefix after each character).
Example: eddy names live --name Schmidt      echo -e "Nguyen\\nO'Brien" | eddy names live`,
  flags: {
    model: modelFlag('names'),
    name: { type: 'string', description: 'the name to type (default: every line of stdin)' },
    top: { type: 'integer', min: 1, max: 18, default: 3, description: 'languages shown per character' },
    backend: backendFlag,
  },
  async run(f, ctx) {
    if (f.name !== undefined && f.name.trim() === '')
      throw new UsageError(`--name: expected a name of at least one character but received ${JSON.stringify(f.name)}`);
    const c = loadNamesClassifier(f.model, { backend: backendByName(f.backend, { path: '--backend' }) });
    ctx.begin();
    const write = (line: string): void => {
      process.stdout.write(`${line}\n`);
    };
    if (f.name !== undefined) {
      await liveName(c, f.name, f.top, write);
      return;
    }
    for await (const line of createInterface({ input: process.stdin })) {
      const name = line.trim();
      if (name !== '') await liveName(c, name, f.top, write);
    }
  },
});
