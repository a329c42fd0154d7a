// CLIP's byte-level BPE, exactly as open_clip's SimpleTokenizer (tokenizer.py, clean = 'lower'): html-unescape
// twice, strip, whitespace collapse, lower-case, its regex, the bytes→unicode table, `</w>` word ends, merges by
// rank, start/end tokens, truncation keeping the end token, zero padding. ftfy's text repair (`ftfy.fix_text`,
// the first step of open_clip's basic_clean) is NOT applied: texts with mojibake may tokenize differently.
// Python's notion of whitespace (str.split / strip, the regex module's \s) is used, not JavaScript's \s.
// Vocabulary: a `bpe_simple_vocab_16e6.txt.gz`-format merges file (vocab built as open_clip builds it) or an HF
// `tokenizer.json` (BPE vocab + merges; the same algorithm runs on them).
import { decodeHTML } from 'entities';
import { DataError } from '../io/errors.js';

/** Python's str.isspace() characters (str.split, str.strip). */
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const SPACE_RUN = new RegExp(`[${PY_SPACE}]+`, 'gu');
const EDGE_SPACE = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'gu');

/**
 * open_clip's bytes_to_unicode(): byte → printable character, in its dict order.
 * @returns the 256 byte → character pairs.
 */
export function bytesToUnicode(): Map<number, string> {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++)
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  return new Map(bs.map((b, i) => [b, String.fromCharCode(cs[i])]));
}

// Python's html.unescape: the same character-reference pattern and numeric rules; named references decoded by
// `entities` (the HTML5 longest-match rule Python emulates).
const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g;
const WIN1252: Record<number, string> = {
  0x00: '\ufffd',
  0x0d: '\r',
  0x80: '\u20ac',
  0x81: '\x81',
  0x82: '\u201a',
  0x83: '\u0192',
  0x84: '\u201e',
  0x85: '\u2026',
  0x86: '\u2020',
  0x87: '\u2021',
  0x88: '\u02c6',
  0x89: '\u2030',
  0x8a: '\u0160',
  0x8b: '\u2039',
  0x8c: '\u0152',
  0x8d: '\x8d',
  0x8e: '\u017d',
  0x8f: '\x8f',
  0x90: '\x90',
  0x91: '\u2018',
  0x92: '\u2019',
  0x93: '\u201c',
  0x94: '\u201d',
  0x95: '\u2022',
  0x96: '\u2013',
  0x97: '\u2014',
  0x98: '\u02dc',
  0x99: '\u2122',
  0x9a: '\u0161',
  0x9b: '\u203a',
  0x9c: '\u0153',
  0x9d: '\x9d',
  0x9e: '\u017e',
  0x9f: '\u0178',
};
function invalidCodepoint(n: number): boolean {
  return (
    (n >= 0x1 && n <= 0x8) ||
    n === 0xb ||
    (n >= 0xe && n <= 0x1f) ||
    (n >= 0x7f && n <= 0x9f) ||
    (n >= 0xfdd0 && n <= 0xfdef) ||
    (n & 0xfffe) === 0xfffe
  );
}

/**
 * Python's `html.unescape`.
 * @param s - text.
 * @returns the text with HTML character references replaced.
 */
export function htmlUnescape(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(CHARREF, (m, ref: string) => {
    if (ref[0] !== '#') return decodeHTML(m);
    const hex = ref[1] === 'x' || ref[1] === 'X';
    const digits = ref.slice(hex ? 2 : 1).replace(/;$/, '');
    const num = hex ? parseInt(digits, 16) : Number(digits);
    if (num in WIN1252) return WIN1252[num];
    if ((num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff || !Number.isFinite(num)) return '\ufffd';
    if (invalidCodepoint(num)) return '';
    return String.fromCodePoint(num);
  });
}

/**
 * open_clip's clean = 'lower' (without ftfy): unescape twice, strip, collapse whitespace, lower-case.
 * @param text - raw caption text.
 * @returns the cleaned text the BPE sees.
 */
export function cleanText(text: string): string {
  const t = htmlUnescape(htmlUnescape(text)).replace(EDGE_SPACE, '');
  return t.replace(SPACE_RUN, ' ').replace(EDGE_SPACE, '').toLowerCase();
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A BPE vocabulary as open_clip's SimpleTokenizer holds it: token ids, merge ranks and the special tokens.
 */
export interface ClipVocabulary {
  /** token string → id (later entries win, as Python's dict(zip(vocab, range)) does) */
  readonly encoder: ReadonlyMap<string, number>;
  /** "first second" → rank */
  readonly ranks: ReadonlyMap<string, number>;
  /** special token strings matched verbatim in the cleaned text: [start, end, …] */
  readonly special: readonly string[];
  readonly sot: number;
  readonly eot: number;
}

/**
 * The vocabulary open_clip builds from a bpe_simple_vocab-format merges text (first line a header).
 * @param text - the merges file's text (gunzipped).
 * @param file - the file name in errors.
 * @returns the vocabulary.
 * @throws DataError naming the line of a malformed merge.
 */
export function vocabularyFromMerges(text: string, file = 'merges'): ClipVocabulary {
  const lines = text.split('\n').slice(1, 49152 - 256 - 2 + 1);
  const merges = lines.map((l) => l.split(new RegExp(`[${PY_SPACE}]+`, 'u')).filter(Boolean));
  const bad = merges.findIndex((m) => m.length !== 2 && m.length !== 0);
  if (bad >= 0) throw new DataError(`line ${bad + 2} is not a merge "a b": ${JSON.stringify(lines[bad])}`, { file });
  const base = [...bytesToUnicode().values()];
  const vocab = [...base, ...base.map((v) => v + '</w>'), ...merges.map((m) => m.join(''))];
  const special = ['<start_of_text>', '<end_of_text>'];
  vocab.push(...special);
  const encoder = new Map<string, number>();
  vocab.forEach((v, i) => encoder.set(v, i));
  const ranks = new Map<string, number>();
  merges.forEach((m, i) => ranks.set(m.join(' '), i));
  return { encoder, ranks, special, sot: encoder.get(special[0])!, eot: encoder.get(special[1])! };
}

/**
 * The vocabulary of an HF `tokenizer.json` (model.type BPE, end_of_word_suffix `</w>`).
 * @param json - the parsed tokenizer.json.
 * @param file - the file name in errors.
 * @returns the vocabulary.
 * @throws DataError for a non-BPE tokenizer, another end-of-word suffix or missing special tokens.
 */
export function vocabularyFromTokenizerJson(json: unknown, file = 'tokenizer.json'): ClipVocabulary {
  const model = (json as { model?: Record<string, unknown> })?.model;
  if (!model || model.type !== 'BPE' || typeof model.vocab !== 'object' || !Array.isArray(model.merges))
    throw new DataError('not a BPE tokenizer.json (expected model.type "BPE" with vocab and merges)', { file });
  if ((model.end_of_word_suffix ?? '</w>') !== '</w>')
    throw new DataError(`end_of_word_suffix ${JSON.stringify(model.end_of_word_suffix)} (CLIP uses "</w>")`, { file });
  const encoder = new Map<string, number>(Object.entries(model.vocab as Record<string, number>));
  const ranks = new Map<string, number>();
  (model.merges as unknown[]).forEach((m, i) => {
    const pair = typeof m === 'string' ? m.split(' ') : m;
    if (!Array.isArray(pair) || pair.length !== 2)
      throw new DataError(`merge ${i} is not a pair: ${JSON.stringify(m)}`, { file });
    ranks.set(pair.join(' '), i);
  });
  const added = ((json as { added_tokens?: { id: number; content: string }[] }).added_tokens ?? []).map((t) => {
    encoder.set(t.content, t.id);
    return t.content;
  });
  const find = (re: RegExp, what: string) => {
    const name = [...added, ...encoder.keys()].find((t) => re.test(t));
    if (name === undefined) throw new DataError(`no ${what} token (e.g. <|${what}|>)`, { file });
    return name;
  };
  const start = find(/^<\|?start_?of_?text\|?>$/, 'startoftext');
  const end = find(/^<\|?end_?of_?text\|?>$/, 'endoftext');
  return { encoder, ranks, special: [start, end], sot: encoder.get(start)!, eot: encoder.get(end)! };
}

/** The tokenizer: `encode` one text to ids, `tokenize` texts to n × contextLength (0-padded). */
export class ClipTokenizer {
  private readonly byteEncoder = bytesToUnicode();
  private readonly cache = new Map<string, string[]>();
  private readonly pattern: RegExp;
  readonly sot: number;
  readonly eot: number;
  /** the largest id this tokenizer can produce + 1 */
  readonly size: number;

  constructor(
    private readonly vocab: ClipVocabulary,
    readonly contextLength: number,
  ) {
    for (const t of vocab.special) this.cache.set(t, [t]);
    this.pattern = new RegExp(
      `${vocab.special.map(escapeRe).join('|')}|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^${PY_SPACE}\\p{L}\\p{N}]+`,
      'giu',
    );
    this.sot = vocab.sot;
    this.eot = vocab.eot;
    let max = 0;
    for (const id of vocab.encoder.values()) max = Math.max(max, id);
    this.size = max + 1;
  }

  private bpe(token: string): string[] {
    const hit = this.cache.get(token);
    if (hit) return hit;
    let word = [...token.slice(0, -1)];
    word.push(token.slice(-1) + '</w>');
    const ranks = this.vocab.ranks;
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < word.length; i++) {
        const r = ranks.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const first = word[best];
      const second = word[best + 1];
      const next: string[] = [];
      for (let i = 0; i < word.length;) {
        if (word[i] === first && i + 1 < word.length && word[i + 1] === second) {
          next.push(first + second);
          i += 2;
        } else next.push(word[i++]);
      }
      word = next;
    }
    this.cache.set(token, word);
    return word;
  }

  /** ids of one text (no start / end tokens) */
  encode(text: string): number[] {
    const out: number[] = [];
    const bytes = new TextEncoder();
    for (const m of cleanText(text).matchAll(this.pattern)) {
      let token = '';
      for (const b of bytes.encode(m[0])) token += this.byteEncoder.get(b)!;
      for (const piece of this.bpe(token)) {
        const id = this.vocab.encoder.get(piece);
        if (id === undefined) throw new DataError(`the vocabulary has no token "${piece}" (from "${m[0]}")`);
        out.push(id);
      }
    }
    return out;
  }

  /**
   * n × contextLength ids: start, the text's ids, end; truncated keeping the end token; 0-padded. `truncated`, when
   * given, receives the indices of the texts that were cut.
   */
  tokenize(texts: readonly string[], contextLength = this.contextLength, truncated?: number[]): Int32Array {
    const out = new Int32Array(texts.length * contextLength);
    texts.forEach((t, r) => {
      const ids = [this.sot, ...this.encode(t), this.eot];
      if (ids.length > contextLength) {
        truncated?.push(r);
        ids.length = contextLength;
        ids[contextLength - 1] = this.eot;
      }
      out.set(ids, r * contextLength);
    });
    return out;
  }
}

/**
 * gunzip with the platform's DecompressionStream (Node ≥ 18, Deno, browsers).
 * @param bytes - gzip data.
 * @param file - the file name in errors.
 * @returns the decompressed bytes.
 * @throws DataError naming the file for corrupt data.
 */
export async function gunzip(bytes: Uint8Array, file: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new DataError(`not a gzip file: ${(e as Error).message}`, { file });
  }
}
