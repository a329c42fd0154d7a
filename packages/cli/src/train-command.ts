// `m4kit train`: dual-encoder projection heads on precomputed features with a CLIP or SigLIP loss.
import { Command, Option } from 'commander';
import { TRAIN_DEFAULTS as T } from '@m4kit/sdk';
import { checkOutputPaths } from './guard.js';
import { list, num } from './options.js';
import type { TrainCliOptions } from './train.js';

/** `m4kit train`. */
export function registerTrain(program: Command, exitHelp: string): void {
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

${exitHelp} (inputs are checked before any GPU work)`,
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
}
