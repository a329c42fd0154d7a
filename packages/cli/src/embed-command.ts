// `m4kit embed`: CLIP features of images or captions with an open_clip model folder.
import { Command, Option } from 'commander';
import type { EmbedCliOptions } from './embed.js';
import { num } from './options.js';

/** `m4kit embed`. */
export function registerEmbed(program: Command, exitHelp: string): void {
  program
    .command('embed')
    .description('CLIP features of images or captions with an open_clip model folder → .npy, rows in input order')
    .requiredOption('--model <dir>', 'open_clip folder: open_clip_config.json, *.safetensors, tokenizer')
    .option('--images <dir|list>', 'a folder (image files sorted by name) or a text file of paths, one a line')
    .option('--texts <file>', 'a UTF-8 text file, one caption a line')
    .requiredOption('-o, --out <file.npy>', 'where the features go (float32 [rows, embed_dim])')
    .option('--no-normalize', 'keep the raw projected features (default: each row L2-normalised)')
    .option('--batch <n>', 'inputs per tower call (default 32 images / 64 captions)', num('--batch'))
    .addOption(
      new Option('--backend <kind>', 'where the towers run').choices(['auto', 'webgpu', 'cpu']).default('auto'),
    )
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

${exitHelp}`,
    )
    .action(async (o: EmbedCliOptions) => {
      const { runEmbed } = await import('./embed.js');
      await runEmbed(o);
    });
}
