/**
 * `eddy names train --teacher` as a user meets it: a student distilled from a teacher classifier (soft targets
 * only, `--distill-weight 1`) agrees with the teacher on val more than the same student trained on the labels; the
 * file records the teacher and its settings; a stopped run resumes (the teacher read again from the checkpoint's
 * settings) to the unbroken run's weights; the distillation flags without a teacher are one line and exit code 2.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureCli } from '../helpers/captureCli.ts';
import { main } from '../../pipelines/cli/main.ts';
import { classifyNames, loadNamesClassifier } from '../../pipelines/names/namesData.ts';
import { readNamesSplit, readSafetensors } from '../../src/index.ts';
import { namesSplit } from '../helpers/namesSplit.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-names-kd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = captureCli();

describe('eddy names train --teacher', () => {
  const d = namesSplit(dir, 'kd', 2000);
  const base = (out: string) => ['names', 'train', '--input', d, '--out', out, '--hidden', '24', '--embedding', '12'];

  it('a student on soft targets alone agrees with its teacher more than one trained on the labels', async () => {
    const teacher = join(dir, 'teacher.safetensors');
    expect(await main([...base(teacher), '--bidirectional', '--epochs', '3', '--quiet'])).toBe(0);
    const student = join(dir, 'student.safetensors');
    const plain = join(dir, 'plain.safetensors');
    const quick = ['--epochs', '8', '--average-last', '0', '--seed', '5', '--quiet'];
    const kd = ['--teacher', teacher, '--distill-weight', '1', '--temperature', '2'];
    expect(await main([...base(student), ...quick, ...kd])).toBe(0);
    expect(await main([...base(plain), ...quick])).toBe(0);
    const settings = JSON.parse(readSafetensors(student).metadata['eddy.names.settings']);
    expect(settings).toMatchObject({ teacher, distillWeight: 1, temperature: 2 });
    const val = readNamesSplit(join(d, 'val.tsv')).names;
    const t = classifyNames(loadNamesClassifier(teacher), val).probs;
    // the mean KL divergence of the student's val distributions from the teacher's
    const kl = (file: string) => {
      const p = classifyNames(loadNamesClassifier(file), val).probs;
      let sum = 0;
      for (let i = 0; i < p.length; i++) if (t[i] > 0) sum += t[i] * Math.log(t[i] / Math.max(p[i], 1e-12));
      return sum / val.length;
    };
    const withTeacher = kl(student);
    const without = kl(plain);
    expect(withTeacher).toBeLessThan(without / 4); // measured: 10 to 27 times smaller over four seeds
  }, 180_000);

  it('a stopped run resumes, reading the teacher again, to the unbroken run’s weights', async () => {
    const teacher = join(dir, 'teacher2.safetensors');
    expect(await main([...base(teacher), '--epochs', '1', '--quiet'])).toBe(0);
    const args = (out: string) => [...base(out), '--epochs', '2', '--teacher', teacher];
    const whole = join(dir, 'whole.safetensors');
    expect(await main(args(whole))).toBe(0);
    const broken = join(dir, 'broken.safetensors');
    expect(await main([...args(broken), '--minutes', '0.0001'])).toBe(0);
    expect(existsSync(`${broken}.ckpt`)).toBe(true);
    cli.err = '';
    expect(await main(args(broken))).toBe(0);
    expect(cli.err).toMatch(/resuming .*broken\.safetensors\.ckpt after epoch 1/);
    const a = loadNamesClassifier(whole).members[0].model;
    const b = loadNamesClassifier(broken).members[0].model;
    expect(Array.from(b.params)).toEqual(Array.from(a.params));
  }, 180_000);

  it('refuses --distill-weight and --temperature without --teacher: one line, exit code 2', async () => {
    for (const flag of ['--distill-weight', '--temperature']) {
      const out = join(dir, 'x.safetensors');
      cli.err = '';
      expect(await main(['names', 'train', flag, '0.5', '--out', out])).toBe(2);
      expect(cli.err.trim().split('\n')).toHaveLength(1);
      expect(cli.err).toContain(`${flag}: needs a teacher (--teacher FILE)`);
      expect(existsSync(out)).toBe(false);
    }
  });
});
