import { confusionMatrix, BidirectionalClassifier } from './src/index.ts';
import { SPLIT_DIR, classifyNames, loadNamesClassifier, readSplits } from './pipelines/names/namesData.ts';
const path = process.argv[2];
const c = loadNamesClassifier(path);
const splits = readSplits(SPLIT_DIR);
const score = () => { const m = confusionMatrix(splits.val.labels, classifyNames(c, splits.val.names).predictions, c.languages.length); return `${(100*m.accuracy).toFixed(2)}% ${m.macroF1.toFixed(3)} score ${((m.accuracy+m.macroF1)/2).toFixed(4)}`; };
console.log('as stored', score());
const p0 = classifyNames(c, splits.val.names).probs;
for (const mem of c.members) {
  const m = mem.model as BidirectionalClassifier;
  const layout = m.layout as unknown as { entries: { name: string; shape: number[]; offset: number; size: number }[] };
  for (const e of layout.entries) {
    if (e.shape.length !== 2) continue;
    const [rows, cols] = e.shape;
    for (let r = 0; r < rows; r++) {
      const o = e.offset + r * cols;
      let mx = 0; for (let j = 0; j < cols; j++) mx = Math.max(mx, Math.abs(m.params[o + j]));
      const s = mx / 127 || 1;
      for (let j = 0; j < cols; j++) m.params[o + j] = Math.round(m.params[o + j] / s) * s;
    }
  }
}
console.log('int8 rows', score());
const p1 = classifyNames(c, splits.val.names).probs; let d = 0; for (let i = 0; i < p0.length; i++) d = Math.max(d, Math.abs(p0[i]-p1[i])); console.log('max prob change', d, 'layout names', (c.members[0].model as any).layout.entries.map((e:any)=>e.name+':'+e.shape.join('x')).join(' '));
