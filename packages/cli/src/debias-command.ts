// `m4kit debias`: the bias-alignment module (ba) and the CLIP-clip / biased prompts baselines.
import { Command, Option } from 'commander';
import { DEBIAS_DEFAULTS as DB } from '@m4kit/sdk';
import type { DebiasCliOptions } from './debias.js';
import { checkOutputPaths } from './guard.js';
import { num } from './options.js';

/** `m4kit debias`. */
export function registerDebias(program: Command, exitHelp: string): void {
  program
    .command('debias')
    .description('debias embeddings: train the bias-alignment module (ba), or fit CLIP-clip / biased prompts baselines')
    .requiredOption('--method <method>', 'ba | clip-clip | biased-prompts')
    .option(
      '--images <file>',
      'image embeddings (.npy .safetensors[:NAME] .parquet[:COL] .json .jsonl): ba training images / clip-clip MI images',
    )
    .option(
      '--texts <file>',
      'ba: factual caption embeddings (row i = image i); biased-prompts: text embeddings to debias',
    )
    .option(
      '--counterfactual <files>',
      'ba: attribute-swapped caption embeddings (row i = image i); a comma list of sets (age: 2, race: 6) is ' +
        'redrawn per row every epoch, seeded',
    )
    .option('--labels <table>', 'clip-clip: per-image metadata table (row i = image i)')
    .option('--attribute <col>', 'clip-clip: attribute column in --labels')
    .option(
      '--bins <ages>',
      'clip-clip / ba validation: bin ages by these lower bounds, e.g. 30,60 (default for --attribute age: the official FairFace classes young <30, middle-aged 30-59, old 60+)',
    )
    .option('--m <dims>', 'clip-clip: dimensions to keep (lowest mutual information)', num('--m'))
    .option('--k <n>', 'clip-clip: Mixed-KSG neighbours', num('--k'), 5)
    .option('--spurious <file>', 'biased-prompts: spurious prompt embeddings ("a photo of a male.", ...)')
    .option('--candidates <file>', 'biased-prompts: candidate prompt embeddings for calibration')
    .option('--pairs <i:j,...>', 'biased-prompts: candidate pairs differing only in the attribute, e.g. 0:1,2:3')
    .option('--lambda <x>', 'biased-prompts: calibration weight', num('--lambda'), 1000)
    .option('--module <file>', 'ba: apply a saved module (.safetensors) to --apply instead of training')
    .option('--apply <file>', 'embeddings to transform with the fitted method (ba, clip-clip)')
    .addOption(
      new Option('--modality <m>', 'ba: --apply holds image or text embeddings')
        .choices(['image', 'text'])
        .default('image'),
    )
    .option(
      '--validation <file>',
      'ba: validation image embeddings (bias measured on them; the best validation ABLE is kept)',
    )
    .option('--validation-labels <table>', 'ba: per-validation-image metadata with the --attribute column')
    .option('--bias-prompts <file>', 'ba: bias query embeddings for validation MaxSkew (the 319 from "m4kit prompts")')
    .option(
      '--zeroshot-images <file>',
      'ba: zero-shot image embeddings for validation accuracy (ImageNetV2 in the official code)',
    )
    .option('--zeroshot-labels <table>', 'ba: class per zero-shot image (column --class-column)')
    .option('--class-column <col>', 'ba: class column in --zeroshot-labels', 'label')
    .option(
      '--zeroshot-prompts <file>',
      'ba: template prompt embeddings (every template × class; debiased, normalised, averaged per class)',
    )
    .option('--zeroshot-prompt-meta <table>', 'ba: per-prompt table with column "class"')
    .option('--eval-every <n>', `ba: evaluate validation ABLE every n epochs (${DB.evalEvery})`, num('--eval-every'))
    .option(
      '--skew-k <k>',
      'ba: k of the validation MaxSkew@k (1000, capped at the validation images)',
      num('--skew-k'),
    )
    .option('--patience <n>', `ba: stop after n evaluations without a better ABLE (${DB.patience})`, num('--patience'))
    .option('--epochs <n>', `ba: epochs (${DB.epochs})`, num('--epochs'))
    .option('--batch-size <n>', `ba: batch size (${DB.batchSize})`, num('--batch-size'))
    .option('--queue-size <n>', `ba: queue length (${DB.queueSize})`, num('--queue-size'))
    .option('--lr <x>', `ba: Adam learning rate (${DB.lr})`, num('--lr'))
    .option('--alpha <x>', `ba: weight of L_cd (${DB.alpha})`, num('--alpha'))
    .option('--tau <x>', `ba: temperature (${DB.tau})`, num('--tau'))
    .option('--hidden1 <n>', `ba: image MLP width (${DB.hidden1})`, num('--hidden1'))
    .option('--hidden2 <n>', `ba: shared MLP width (${DB.hidden2})`, num('--hidden2'))
    .option('--seed <n>', `ba: seed (${DB.seed})`, num('--seed'))
    .addOption(
      new Option('--backend <kind>', 'ba: where training runs').choices(['auto', 'webgpu', 'cpu']).default('auto'),
    )
    .option(
      '-o, --out <file>',
      'ba: module .safetensors (+ .json config); clip-clip: JSON with kept dims and MI; biased-prompts: debiased .npy',
    )
    .option('--out-embeddings <file>', 'write the transformed embeddings (.npy)')
    .option('--json', 'print the result as JSON')
    .option('--no-progress', 'no progress bar')
    .addHelpText(
      'after',
      `
Examples:
  $ m4kit debias --method ba --images img.npy --texts captions.npy --counterfactual cf.npy -o ba.safetensors
  $ m4kit debias --method ba --images img.npy --texts captions.npy --counterfactual cf.npy -o ba.safetensors \
      --validation val_img.npy --validation-labels val.csv --attribute gender --bias-prompts bias319.npy \
      --zeroshot-images inv2_img.npy --zeroshot-labels inv2.csv --zeroshot-prompts templates.npy \
      --zeroshot-prompt-meta templates.csv --eval-every 2 --patience 10
  $ m4kit debias --method ba --module ba.safetensors --apply test_img.npy --out-embeddings test_img.debiased.npy
  $ m4kit debias --method ba --module ba.safetensors --apply prompts.npy --modality text --out-embeddings prompts.debiased.npy
  $ m4kit debias --method clip-clip --images train_img.npy --labels train.csv --attribute gender --m 256 -o keep.json \
      --apply test_img.npy --out-embeddings test_img.clipped.npy
  $ m4kit debias --method biased-prompts --spurious gender_prompts.npy --candidates cand.npy --pairs 0:1,2:3 \
      --texts queries.npy -o queries.debiased.npy

${exitHelp} (inputs are checked before any GPU work)`,
    )
    .action(async (o: DebiasCliOptions) => {
      const sidecar = (p?: string) =>
        p && o.method === 'ba' && !o.module ? p.replace(/\.safetensors$/i, '') + '.json' : undefined;
      const baOut =
        o.out && o.method === 'ba' && !o.module && !/\.safetensors$/i.test(o.out) ? `${o.out}.safetensors` : o.out;
      checkOutputPaths(
        {
          '--images': o.images,
          '--texts': o.texts,
          ...Object.fromEntries(
            // an empty item ("a.npy,") is refused by runDebias with its own message
            (o.counterfactual?.split(',').filter(Boolean) ?? []).map((p, k) => [
              `--counterfactual${k ? ` (set ${k + 1})` : ''}`,
              p,
            ]),
          ),
          '--labels': o.labels,
          '--spurious': o.spurious,
          '--candidates': o.candidates,
          '--module': o.module,
          '--apply': o.apply,
          '--validation': o.validation,
          '--validation-labels': o.validationLabels,
          '--bias-prompts': o.biasPrompts,
          '--zeroshot-images': o.zeroshotImages,
          '--zeroshot-labels': o.zeroshotLabels,
          '--zeroshot-prompts': o.zeroshotPrompts,
          '--zeroshot-prompt-meta': o.zeroshotPromptMeta,
        },
        { '--out': baOut, '--out (config JSON)': sidecar(baOut), '--out-embeddings': o.outEmbeddings },
      );
      const { runDebias } = await import('./debias.js');
      await runDebias(o);
    });
}
