/**
 * The `eddy` command line: the list of commands and the dispatcher (`pipelines/eddy.ts` runs it). `eddy --help`
 * lists the commands, `eddy <command> --help` every flag with its default and meaning. A command's module is
 * loaded only when it runs, so that `eddy generate` starts fast.
 */
import { readFileSync } from 'node:fs';
import { type Command, runCommand } from './command.ts';

/** The commands: name (a group's commands have two words), one line of summary, and where the command lives. */
export const COMMANDS: readonly { name: string; summary: string; load: () => Promise<{ command: Command }> }[] = [
  {
    name: 'generate',
    summary: 'stream text from a character-level model (npm start)',
    load: () => import('../charlm/generate.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'train',
    summary: 'train a character-level language model on a text file or URL (resumable)',
    load: () => import('../charlm/train.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'eval',
    summary: "a char-LM's validation loss on the held-out end of a text",
    load: () => import('../charlm/eval.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'budget',
    summary: 'the 10-minute char-LM training budget from scratch',
    load: () => import('../charlm/budget.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'export',
    summary: 'a training checkpoint as a plain model file',
    load: () => import('../charlm/export.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'models',
    summary: 'list the shipped models (name, size, validation loss)',
    load: () => import('./modelsCommand.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'label',
    summary: 'label a video live, frame by frame, with a frame labeller',
    load: () => import('../video/label.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'video-train',
    summary: 'train the GRID speaking-vs-silent frame labeller and its per-frame baseline (resumable)',
    load: () => import('../video/train.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'video-digits',
    summary: 'train the moving-digits-with-occlusion frame labeller and its baseline (resumable)',
    load: () => import('../video/digits.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'video-bench',
    summary: 'time the live video pipeline and the model step',
    load: () => import('../video/bench.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'bench',
    summary: "eddy's benchmark suite against TensorFlow.js and PyTorch",
    load: () => import('../bench/run.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'serve-redis',
    summary: 'run one worker of a Redis Streams deployment (exactly-once state per key)',
    load: () => import('../redis/serve.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'produce-redis',
    summary: 'replay a GRID clip or a text as keyed steps into Redis Streams',
    load: () => import('../redis/produce.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'bench-redis',
    summary: 'steps/s and latency through Redis Streams with 1 and 2 workers, vs in-process',
    load: () => import('../redis/bench.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'names train',
    summary: 'train a surname -> language classifier on the fixed split (resumable)',
    load: () => import('../names/train.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'names eval',
    summary: "a names classifier's accuracy, macro-F1 and confusion matrix on the test split",
    load: () => import('../names/eval.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'names live',
    summary: "a surname's top-3 languages after every typed character",
    load: () => import('../names/live.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'names gen-train',
    summary: 'train the language -> surname generator (resumable)',
    load: () => import('../names/genTrain.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'names generate',
    summary: 'stream surnames for a language from the conditional generator',
    load: () => import('../names/generate.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'names gen-eval',
    summary: 'closed-loop accuracy, novelty and val NLL/char of the names generator',
    load: () => import('../names/genEval.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'sentiment cv',
    summary: '10-fold CV on the labelled sentences: a GRU vs bag-of-words logistic regression',
    load: () => import('../sentiment/cv.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'pen train',
    summary: 'digit -> pen trajectory generator (mixture density head), judged by a trajectory classifier (resumable)',
    load: () => import('../pen/train.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'translate',
    summary: 'translate an English sentence to French, word by word as it is decoded (npm run translate)',
    load: () => import('../translate/translate.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'translate train',
    summary: 'train the English -> French encoder-decoder, plain or with attention (resumable)',
    load: () => import('../translate/train.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'translate eval',
    summary: 'BLEU-4 on the test split: plain and attention models, greedy and beam, and the word-by-word baseline',
    load: () => import('../translate/eval.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'translate export',
    summary: 'a translate checkpoint as a plain translator file (weights, vocabularies, metadata)',
    load: () => import('../translate/export.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'ram train',
    summary: 'train the recurrent attention model on MNIST, translated or cluttered (resumable)',
    load: () => import('../ram/train.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'ram eval',
    summary: 'test error of a recurrent attention model on the MNIST test digits',
    load: () => import('../ram/eval.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'ram demo',
    summary: 'glimpse paths of a recurrent attention model over test digits (PNG grid and animated WebP)',
    load: () => import('../ram/demo.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'ram export',
    summary:
      'a RAM model or checkpoint as a plain model file (--dtype f16: half the bytes), its test error measured again',
    load: () => import('../ram/export.ts') as Promise<{ command: Command }>,
  },
  {
    name: 'names ensemble',
    summary: 'packs names classifiers into one file that averages their probabilities (scores on val)',
    load: () => import('../names/ensemble.ts') as Promise<{ command: Command }>,
  },
];

function version(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // the other layout (sources or dist)
    }
  }
  return '?';
}

function mainHelp(commands: readonly { name: string; summary: string }[], title = 'eddy'): string {
  const w = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    `${title}: recurrent networks (RNN, LSTM, GRU) inside live streams`,
    '',
    `Usage: ${title} <command> [flags]      ${title} <command> --help for its flags`,
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(w)}${c.summary}`),
    '',
    'Shared flags: --input and --out for files read and written, --model (a file or a shipped model name),',
    '--backend (auto | native | wasm | js), --seed, --quiet. A bad flag exits with code 2 before any work.',
    '',
  ].join('\n');
}

/** Runs the command line `argv` (without node and the script); returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  // a closed stdout (`eddy generate | head`) ends the command quietly
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const [first, second] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(mainHelp(COMMANDS));
    return 0;
  }
  if (first === '--version' || first === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const two = second === undefined ? undefined : COMMANDS.find((c) => c.name === `${first} ${second}`);
  const entry = two ?? COMMANDS.find((c) => c.name === first);
  if (!entry) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${first} `));
    if (group.length > 0) {
      const help = mainHelp(group, `eddy ${first}`);
      if (second === undefined || second === '--help') {
        process.stdout.write(help);
        return 0;
      }
      process.stderr.write(`eddy ${first}: unknown command ${JSON.stringify(second)} (see eddy ${first} --help)\n`);
      return 2;
    }
    process.stderr.write(`eddy: unknown command ${JSON.stringify(first)} (see eddy --help)\n`);
    return 2;
  }
  const { command } = await entry.load();
  return runCommand(command, argv.slice(entry.name.split(' ').length));
}
