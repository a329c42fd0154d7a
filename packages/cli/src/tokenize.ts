// m4kit tokenize: captions (UTF-8, one a line) → token ids [n, context_length] as .npy (int32 or int64), with the
// model folder's own tokenizer (open_clip's SimpleTokenizer; the weights are not read).
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { DataError, atomicWrite, loadClipTokenizer, npyBytes } from '@m4kit/sdk/node';
import { checkOutputPaths } from './guard.js';

export interface TokenizeCliOptions {
  model: string;
  texts: string;
  out: string;
  dtype: 'int32' | 'int64';
}

/** Captions from a UTF-8 text file: one a line (\n or \r\n), a BOM dropped, the final newline ending the last line. */
export async function readCaptions(file: string): Promise<string[]> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(code === 'ENOENT' ? 'file not found' : `cannot read: ${(e as Error).message}`, { file });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const loose = new TextDecoder('utf-8').decode(bytes);
    const line = loose.slice(0, loose.indexOf('\ufffd')).split('\n').length;
    throw new DataError('not UTF-8 (invalid bytes); save the captions as UTF-8', { file, line });
  }
  if (text.startsWith('\ufeff')) text = text.slice(1);
  if (text.endsWith('\n')) text = text.slice(0, -1);
  if (text === '') return [];
  return text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

export async function runTokenize(o: TokenizeCliOptions): Promise<void> {
  let names: string[] = [];
  try {
    names = await readdir(o.model);
  } catch {
    // loadClipTokenizer names the missing folder
  }
  const modelFiles = Object.fromEntries(names.map((n) => [`--model (${n})`, join(o.model, n)]));
  checkOutputPaths({ '--texts': o.texts, ...modelFiles }, { '--out': o.out });
  const { tokenizer, file } = await loadClipTokenizer(o.model);
  const captions = await readCaptions(o.texts);
  const truncated: number[] = [];
  const L = tokenizer.contextLength;
  const ids = tokenizer.tokenize(captions, L, truncated);
  const bytes = npyBytes([captions.length, L], o.dtype === 'int64' ? '<i8' : '<i4', ids);
  await atomicWrite(o.out, (tmp) => writeFile(tmp, bytes));
  console.log(`m4kit tokenize — ${captions.length} texts → ${o.out} (${captions.length} × ${L}, ${o.dtype}; ${file})`);
  if (truncated.length)
    console.error(
      `m4kit: warning: ${truncated.length} text(s) longer than ${L} tokens were truncated (end token kept): ` +
        `line${truncated.length > 1 ? 's' : ''} ${truncated
          .slice(0, 10)
          .map((i) => i + 1)
          .join(', ')}${truncated.length > 10 ? ', …' : ''}`,
    );
}

/** The `tokenize` command on `program`. */
export function registerTokenize(program: Command, exitHelp: string): void {
  program
    .command('tokenize')
    .description("token ids of captions with a CLIP model folder's tokenizer (open_clip's, without ftfy)")
    .requiredOption('--model <dir>', 'model folder: open_clip_config.json + a *.txt.gz vocabulary or tokenizer.json')
    .requiredOption('--texts <file>', 'captions: UTF-8 text, one a line')
    .requiredOption('-o, --out <file>', '.npy to write: [n, context_length] token ids, 0-padded')
    .addOption(new Option('--dtype <type>', 'integer type of the ids').choices(['int32', 'int64']).default('int32'))
    .addHelpText(
      'after',
      `
Example:
  $ m4kit tokenize --model data/clip-tiny/gelu --texts captions.txt --out tokens.npy --dtype int64

${exitHelp}`,
    )
    .action((o: TokenizeCliOptions) => runTokenize(o));
}
