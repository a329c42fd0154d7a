// `m4kit eval` and `m4kit prompts`: bias and quality metrics on precomputed embeddings, and the bias-retrieval
// prompts to embed for them.
import { Command, Option } from 'commander';
import { runEval, type EvalCliOptions } from './eval.js';
import { checkOutputPaths } from './guard.js';
import { num } from './options.js';

/** `m4kit eval`. */
export function registerEval(program: Command, exitHelp: string): void {
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

${exitHelp}`,
    )
    .action((o: EvalCliOptions) => {
      checkOutputPaths(
        { '--images': o.images, '--texts': o.texts, '--labels': o.labels, '--text-meta': o.textMeta },
        { '--report': o.report, '--out': o.out },
      );
      return runEval(o);
    });
}

/** `m4kit prompts`. */
export function registerPrompts(program: Command): void {
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
}
