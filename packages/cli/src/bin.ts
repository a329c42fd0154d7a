import { Command, CommanderError, Option } from 'commander';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TRAIN_DEFAULTS as T } from '@m4kit/sdk';
import { registerBalance } from './balance-command.js';
import { runInfo } from './info.js';
import { runEval, type EvalCliOptions } from './eval.js';
import { registerTokenize } from './tokenize.js';
import { registerDebias } from './debias-command.js';
import { list, num } from './flags.js';
import type { TrainCliOptions } from './train.js';
import type { EmbedCliOptions } from './embed.js';
import { checkOutputPaths, closestName, EXIT, exitCodeOf, UsageError } from './guard.js';
import { removeTempFiles } from '@m4kit/sdk/node';

const here = dirname(fileURLToPath(import.meta.url));
/** the bundled real dataset, shipped in the package (copied from the repo's data/ at build) */
export const BUNDLED: string = resolve(here, '../data/kernlab-income.csv');

/** the one exit-code table, in every command's help (README "Exit codes", docs/reliability.md) */
const EXIT_HELP =
  'Exit codes: 0 ok, 2 bad input or usage (or an output that cannot be written), 3 infeasible (balance), ' +
  '4 stopped at --max-iter with constraints violated (balance), 130 interrupted (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT)';

const program = new Command();
program
  .name('m4kit')
  .description('Measure and reduce social bias in CLIP-style vision-language data and models, on WebGPU.')
  .version('0.1.0')
  // usage errors: one line on stderr, exit 2 (not commander's 1, not the whole help)
  .exitOverride()
  .addHelpText('after', `\n${EXIT_HELP}; 1 is an internal error (please report it).`)
  .configureOutput({
    outputError: (str, write) => write(`m4kit: ${str.replace(/^error: /, '').trimEnd()} (see --help)\n`),
  });

program
  .command('info')
  .description('print the WebGPU adapter and run a kernel self-check against the float64 references')
  .addOption(
    new Option('--backend <kind>', 'where the self-check runs').choices(['auto', 'webgpu', 'cpu']).default('auto'),
  )
  .option('--json', 'machine-readable output')
  .addHelpText('after', '\nExamples:\n  $ m4kit info\n  $ m4kit info --json\n  $ m4kit info --backend cpu')
  .action(runInfo);

registerBalance(program, BUNDLED, EXIT_HELP);

program
  .command('eval')
  .description(
    'bias and quality metrics on precomputed embeddings: zero-shot accuracy, retrieval recall@K, MaxSkew@k / NDKL@k, ABLE',
  )
  .requiredOption('--images <file>', 'image embeddings: .npy, .safetensors[:NAME], .parquet[:COLUMN], .json, .jsonl')
  .option('--texts <file>', 'text embeddings: class prompts (zeroshot), captions (retrieval) or queries (bias)')
  .option('--labels <file>', 'per-image metadata table (row i = image i): class column and/or the attribute')
  .option(
    '--text-meta <file>',
    'per-text metadata table: "class" (zeroshot), "image" (retrieval, 0-based), "query" (bias names)',
  )
  .addOption(
    new Option('--task <task>', 'what to measure').choices(['zeroshot', 'retrieval', 'bias', 'all']).default('all'),
  )
  .option('--attribute <col>', 'sensitive attribute column in --labels (gender, age, race, ...)')
  .option('--class-column <col>', 'class column in --labels for zero-shot', 'label')
  .option('-k, --k <k>', 'top-k for bias retrieval', num('--k'), 1000)
  .addOption(
    new Option('--desired <dist>', 'desired group distribution for skew')
      .choices(['uniform', 'prior'])
      .default('uniform'),
  )
  .option('--normalize-images', 'rank by cosine (the reference protocol ranks by raw image · normalised text)')
  .addOption(
    new Option('--backend <kind>', 'where similarity search runs').choices(['auto', 'webgpu', 'cpu']).default('auto'),
  )
  .option('--report <file>', 'write a self-contained HTML report with plots')
  .option('-o, --out <file>', 'write the JSON report')
  .option('--json', 'print the JSON report on stdout')
  .addHelpText(
    'after',
    `
Examples:
  $ m4kit eval --images img.npy --texts prompts.npy --text-meta prompts.csv --labels meta.csv --task zeroshot
  $ m4kit eval --images img.npy --texts captions.npy --text-meta captions.csv --task retrieval
  $ m4kit eval --images faces.npy --texts bias_queries.npy --labels faces.csv --attribute gender --task bias --report bias.html
    (bias queries: embed the 319 prompts from "m4kit prompts" in that order)

${EXIT_HELP}`,
  )
  .action((o: EvalCliOptions) => {
    checkOutputPaths(
      { '--images': o.images, '--texts': o.texts, '--labels': o.labels, '--text-meta': o.textMeta },
      { '--report': o.report, '--out': o.out },
    );
    return runEval(o);
  });

registerTokenize(program, EXIT_HELP);

program
  .command('embed')
  .description('CLIP features of images or captions with an open_clip model folder → .npy, rows in input order')
  .requiredOption('--model <dir>', 'open_clip folder: open_clip_config.json, *.safetensors, tokenizer')
  .option('--images <dir|list>', 'a folder (image files sorted by name) or a text file of paths, one a line')
  .option('--texts <file>', 'a UTF-8 text file, one caption a line')
  .requiredOption('-o, --out <file.npy>', 'where the features go (float32 [rows, embed_dim])')
  .option('--no-normalize', 'keep the raw projected features (default: each row L2-normalised)')
  .option('--batch <n>', 'inputs per tower call (default 32 images / 64 captions)', num('--batch'))
  .addOption(new Option('--backend <kind>', 'where the towers run').choices(['auto', 'webgpu', 'cpu']).default('auto'))
  .addOption(
    new Option('--precision <p>', 'auto = f32; f16 halves the weights on the GPU (needs shader-f16) but runs slower')
      .choices(['auto', 'f32', 'f16'])
      .default('auto'),
  )
  .option('--skip-bad', 'leave out images that cannot be decoded (listed in the report) instead of stopping')
  .option('--json', 'print the JSON report on stdout')
  .addHelpText(
    'after',
    `
Examples:
  $ m4kit embed --model data/clip-tiny/gelu --images photos/ --out img.npy
  $ m4kit embed --model data/clip-tiny/gelu --texts captions.txt --out txt.npy
  $ m4kit embed --model ViT-B-32/ --images list.txt --out img.npy --skip-bad --json
  then: m4kit eval --images img.npy --texts txt.npy --task retrieval

${EXIT_HELP}`,
  )
  .action(async (o: EmbedCliOptions) => {
    const { runEmbed } = await import('./embed.js');
    await runEmbed(o);
  });

program
  .command('prompts')
  .description(
    'print the 319 bias-retrieval prompts (11 templates × 29 concepts, Berg et al. 2022) to embed with your text encoder',
  )
  .option('--json', 'as a JSON array')
  .action(async (o: { json?: boolean }) => {
    const { biasPrompts } = await import('@m4kit/sdk');
    const p = biasPrompts();
    console.log(o.json ? JSON.stringify(p) : p.join('\n'));
  });

registerDebias(program, EXIT_HELP);

program
  .command('train')
  .description(
    'train dual-encoder projection heads (linear or MLP) on precomputed image/text features with a CLIP or SigLIP loss',
  )
  .requiredOption(
    '--images <file>',
    'image features (.npy .safetensors[:NAME] .parquet[:COL] .json .jsonl), row i pairs with text row i',
  )
  .requiredOption('--texts <file>', 'text features, row i = caption of image i')
  .option('--m4 <table>', 'M4 output (m4kit balance -o) with a q column, row i = pair i')
  .option('--q-column <col>', 'column of --m4 holding q', 'q')
  .addOption(
    new Option('--sampling <how>', 'use q as Bernoulli keep probabilities (redrawn every epoch) or as loss weights')
      .choices(['keep', 'weights'])
      .default(T.sampling),
  )
  .option('--stage2-images <file>', 'two-stage schedule: stage-2 image features')
  .option('--stage2-texts <file>', 'two-stage schedule: stage-2 text features')
  .option('--stage2-m4 <table>', 'two-stage schedule: M4 output for stage 2')
  .option('--switch-at <p>', 'two-stage schedule: fraction of steps on stage 1', num('--switch-at'), T.switchAt)
  .addOption(new Option('--loss <loss>', 'contrastive loss').choices(['clip', 'siglip']).default(T.loss))
  .option('--out-dim <n>', 'shared embedding width', num('--out-dim'), T.outDim)
  .option(
    '--image-hidden <widths>',
    'image tower hidden widths, e.g. 1024 or 1024,512 (default: linear)',
    (v: string) => list(v).map(Number),
    [],
  )
  .option(
    '--text-hidden <widths>',
    'text tower hidden widths (default: linear)',
    (v: string) => list(v).map(Number),
    [],
  )
  .option('--batch-size <n>', 'pairs per step', num('--batch-size'), T.batchSize)
  .option('--steps <n>', 'optimizer steps', num('--steps'), T.steps)
  .option('--lr <x>', 'peak AdamW learning rate', num('--lr'), T.lr)
  .option(
    '--weight-decay <x>',
    'AdamW decoupled weight decay (weight matrices only)',
    num('--weight-decay'),
    T.weightDecay,
  )
  .option('--warmup <n>', 'linear warm-up steps before the cosine decay', num('--warmup'), T.warmupSteps)
  .option('--clip-norm <x>', 'clip the global gradient norm to this', num('--clip-norm'))
  .option('--seed <n>', 'seed (initialisation and sampling)', num('--seed'), T.seed)
  .option('--log-every <n>', 'read the loss back every n steps', num('--log-every'), T.logEvery)
  .option('--checkpoint <file>', 'checkpoint .safetensors (+ .json): parameters, AdamW state, sampler position')
  .option(
    '--checkpoint-every <n>',
    'write the checkpoint every n steps (and at the end, and on Ctrl-C)',
    num('--checkpoint-every'),
  )
  .option('--resume <file>', 'resume bit-exactly from a checkpoint (same config and data)')
  .option('--eval-images <file>', 'held-out image features for retrieval recall@K during training')
  .option('--eval-texts <file>', 'held-out text features (row i = caption of eval image i)')
  .option('--eval-every <n>', 'evaluate every n steps (default: at the end)', num('--eval-every'))
  .option(
    '--metrics <file>',
    'JSONL metrics log: one record per logged step (loss, lr, grad norm, scale) and per evaluation',
  )
  .addOption(new Option('--backend <kind>', 'where training runs').choices(['auto', 'webgpu', 'cpu']).default('auto'))
  .option('-o, --out <file>', 'trained heads: .safetensors + .json config beside it')
  .option('--json', 'print the summary as JSON')
  .option('--no-progress', 'no progress bar')
  .addHelpText(
    'after',
    `
Examples:
  $ m4kit train --images img.npy --texts cap.npy --loss siglip --out-dim 256 --steps 2000 -o heads.safetensors
  $ m4kit train --images img.npy --texts cap.npy --m4 q.parquet --sampling keep --image-hidden 1024 --metrics m.jsonl
  $ m4kit train --images a_img.npy --texts a_cap.npy --stage2-images b_img.npy --stage2-texts b_cap.npy --switch-at 0.9
  $ m4kit train --images img.npy --texts cap.npy --checkpoint ck.safetensors --checkpoint-every 500
  $ m4kit train --images img.npy --texts cap.npy --resume ck.safetensors --checkpoint ck.safetensors -o heads.safetensors

${EXIT_HELP} (inputs are checked before any GPU work)`,
  )
  .action(async (o: TrainCliOptions) => {
    const json = (p?: string) =>
      p ? (/\.safetensors$/i.test(p) ? p.replace(/\.safetensors$/i, '.json') : `${p}.json`) : undefined;
    const inputs = {
      '--images': o.images,
      '--texts': o.texts,
      '--m4': o.m4,
      '--stage2-images': o.stage2Images,
      '--stage2-texts': o.stage2Texts,
      '--stage2-m4': o.stage2M4,
      '--eval-images': o.evalImages,
      '--eval-texts': o.evalTexts,
    };
    const outputs = {
      '--out': o.out,
      '--out (config JSON)': json(o.out),
      '--metrics': o.metrics,
      '--checkpoint': o.checkpoint,
      '--checkpoint (config JSON)': json(o.checkpoint),
    };
    checkOutputPaths(inputs, outputs);
    // resuming from and checkpointing to the same file is allowed; the other outputs must not replace --resume
    if (o.resume) checkOutputPaths({ '--resume': o.resume }, { '--out': o.out, '--metrics': o.metrics });
    const { runTrain } = await import('./train.js');
    await runTrain(o);
  });

// an unknown command is a usage error (exit 2) naming the closest command; `usage` keeps commander from listing
// the catch-all argument a second time ("[command] [command]")
program
  .usage('[options] [command]')
  .argument('[command]')
  .allowExcessArguments()
  .action((cmd?: string) => {
    if (!cmd) return program.help();
    const names = program.commands.map((c) => c.name());
    const closest = closestName(cmd, names);
    const hint = closest ? `; did you mean '${closest}'?` : '';
    throw new UsageError(`unknown command '${cmd}'${hint} (commands: ${names.join(', ')})`);
  });

// Ctrl-C / SIGTERM / SIGHUP / SIGQUIT: remove the temp files of writes in progress, exit 130. A command that handles
// the signal itself (train: checkpoint, then stop) gets it first; a second signal stops at once. SIGXFSZ (ulimit -f
// reached) is ignored so the write fails with EFBIG and ends as a clean OutputError instead of killing the process.
process.on('SIGXFSZ', () => {});
let interrupted = 0;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) {
  process.on(sig, () => {
    interrupted++;
    process.exitCode = EXIT.interrupted;
    if (interrupted === 1 && process.listenerCount(sig) > 1) return;
    const removed = removeTempFiles();
    console.error(`m4kit: interrupted (${sig})${removed.length ? `; removed ${removed.join(', ')}` : ''}`);
    process.exit(EXIT.interrupted);
  });
}

// `m4kit --help | head`: a closed pipe ends the output, not the process with an EPIPE stack trace
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});

const argv = process.argv.length > 2 ? process.argv : [...process.argv, 'balance'];
program.parseAsync(argv).catch((e: unknown) => {
  if (e instanceof CommanderError) {
    // already printed by outputError; help and --version exit 0, every usage error 2
    process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return;
  }
  const err = e as Error & { code?: string };
  const code = exitCodeOf(e);
  console.error(`m4kit: ${err.code && err.code.startsWith('E_') ? `[${err.code}] ` : ''}${err.message}`);
  process.exitCode = process.exitCode === EXIT.interrupted ? EXIT.interrupted : code;
});
