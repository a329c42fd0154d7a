// A CLIP model folder as a set of named files (runtime-neutral): which file is the config, the weights and the
// tokenizer vocabulary, and reading them. The Node entry (clip/node.ts) builds the same set from a directory.
import { DataError } from '../io/errors.js';
import { blobReader, bytesReader, type ByteRangeReader } from '../io/safetensors.js';
import { resolveClipConfig } from './config.js';
import { ClipTokenizer, gunzip, vocabularyFromMerges, vocabularyFromTokenizerJson } from './tokenizer.js';
import type { ClipConfig } from './types.js';

/** One file of a model folder: bytes, a Blob / File, or something that opens a range reader. */
export type ClipFileEntry = Uint8Array | Blob | { open(): Promise<ByteRangeReader> };

/**
 * A model folder's files: File objects (a browser folder drop; matched by base name), or base name → entry.
 * The folder holds `open_clip_config.json`, the weights (`open_clip_model.safetensors`, or the one `*.safetensors`)
 * and the vocabulary (`*.txt.gz` merges as open_clip ships `bpe_simple_vocab_16e6.txt.gz`, or `tokenizer.json`).
 */
export type ClipModelFiles =
  Iterable<File> | ReadonlyMap<string, ClipFileEntry> | Readonly<Record<string, ClipFileEntry>>;

/** The files of a model, normalised: base name → opener. `where` names the folder in messages. */
export interface ClipFileSet {
  readonly where: string;
  readonly names: readonly string[];
  open(name: string): Promise<ByteRangeReader>;
}

const base = (n: string) => n.split(/[\\/]/).pop() ?? n;

/**
 * The model's files by base name (config, weights, vocabulary), from browser Files, path → bytes maps or entries.
 * @param files - the files as `loadClip` takes them.
 * @param where - the name in error messages.
 * @returns the file set.
 * @throws DataError for two files with the same base name.
 */
export function fileSetOf(files: ClipModelFiles, where = 'the model files'): ClipFileSet {
  const map = new Map<string, ClipFileEntry>();
  const put = (name: string, e: ClipFileEntry) => {
    const b = base(name);
    if (map.has(b)) throw new DataError(`two files named "${b}"`, { file: where });
    map.set(b, e);
  };
  if (files instanceof Map) for (const [n, e] of files) put(n, e);
  else if (Symbol.iterator in Object(files)) for (const f of files as Iterable<File>) put(f.name, f);
  else for (const [n, e] of Object.entries(files as Record<string, ClipFileEntry>)) put(n, e);
  return {
    where,
    names: [...map.keys()].sort(),
    async open(name) {
      const e = map.get(name);
      if (!e) throw new DataError(`no file "${name}"`, { file: where });
      if (e instanceof Uint8Array) return bytesReader(e);
      if (typeof Blob !== 'undefined' && e instanceof Blob) return blobReader(e);
      return (e as { open(): Promise<ByteRangeReader> }).open();
    },
  };
}

async function readAll(set: ClipFileSet, name: string): Promise<Uint8Array> {
  const r = await set.open(name);
  try {
    return await r.read(0, r.size);
  } finally {
    await r.close?.();
  }
}

const label = (set: ClipFileSet, name: string) => (set.where.endsWith('/') ? set.where + name : `${set.where}/${name}`);

/** Which file plays which part; errors name the folder and what is missing or ambiguous. */
export function pickClipFiles(
  set: ClipFileSet,
  needTokenizer: boolean,
  needWeights = true,
): { config: string; weights: string; tokenizer: string | null } {
  const names = set.names;
  const listing = `(files: ${names.join(', ') || 'none'})`;
  if (!names.includes('open_clip_config.json'))
    throw new DataError(`no open_clip_config.json ${listing}`, { file: set.where });
  const st = names.filter((n) => n.toLowerCase().endsWith('.safetensors'));
  const weights = st.includes('open_clip_model.safetensors')
    ? 'open_clip_model.safetensors'
    : st.length === 1
      ? st[0]
      : null;
  if (!weights && needWeights) {
    const pt = names.filter((n) => /\.(bin|pt|pth|ckpt)$/i.test(n));
    throw new DataError(
      st.length > 1
        ? `several .safetensors files (${st.join(', ')}): name one open_clip_model.safetensors`
        : pt.length
          ? `no .safetensors weights, only ${pt.join(', ')} (pickled PyTorch files are not read: convert with ` +
            `safetensors.torch.save_file(model.state_dict(), "open_clip_model.safetensors"))`
          : `no open_clip_model.safetensors ${listing}`,
      { file: set.where },
    );
  }
  const gz = names.filter((n) => n.toLowerCase().endsWith('.txt.gz'));
  if (gz.length > 1)
    throw new DataError(`several vocabularies (${gz.join(', ')}): keep one *.txt.gz`, { file: set.where });
  const tokenizer = gz[0] ?? (names.includes('tokenizer.json') ? 'tokenizer.json' : null);
  if (!tokenizer && needTokenizer)
    throw new DataError(
      `no tokenizer vocabulary: put open_clip's bpe_simple_vocab_16e6.txt.gz (or any *.txt.gz merges file) or an ` +
        `HF tokenizer.json beside the weights ${listing}`,
      { file: set.where },
    );
  return { config: 'open_clip_config.json', weights: weights ?? '', tokenizer };
}

export async function readClipConfig(set: ClipFileSet, name: string): Promise<ClipConfig> {
  const file = label(set, name);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await readAll(set, name)));
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`not valid JSON: ${(e as Error).message}`, { file });
  }
  return resolveClipConfig(json, file);
}

/** The tokenizer from a `*.txt.gz` merges file or a `tokenizer.json`, checked against the config's vocabulary. */
export async function readClipTokenizer(set: ClipFileSet, name: string, config: ClipConfig): Promise<ClipTokenizer> {
  const file = label(set, name);
  const bytes = await readAll(set, name);
  let vocab;
  if (name.toLowerCase().endsWith('.gz')) {
    const raw = await gunzip(bytes, file);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      throw new DataError('the merges file is not valid UTF-8', { file });
    }
    vocab = vocabularyFromMerges(text, file);
  } else {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (e) {
      throw new DataError(`not valid JSON: ${(e as Error).message}`, { file });
    }
    vocab = vocabularyFromTokenizerJson(json, file);
  }
  const tok = new ClipTokenizer(vocab, config.text.contextLength);
  if (tok.size > config.text.vocabSize)
    throw new DataError(
      `the vocabulary has ${tok.size} tokens but text_cfg.vocab_size is ${config.text.vocabSize} (a tokenizer for ` +
        `another model?)`,
      { file },
    );
  return tok;
}

export { label as fileLabel };
