// The CLIP tokenizer (#23, packages/sdk/src/clip/tokenizer.ts) on every runtime: ids exactly those of the Python
// port of open_clip's SimpleTokenizer (scripts/make-tiny-clip.py) for html entities, unicode letters / digits,
// Python whitespace, punctuation, special-token literals, empty and truncated texts; the vocabulary from a .txt.gz
// (gunzip by the platform's DecompressionStream) and from an HF tokenizer.json. No GPU.
import { ClipTokenizer, vocabularyFromMerges, vocabularyFromTokenizerJson } from '@m4kit/sdk';
import { gunzip } from '@m4kit/sdk/advanced';
import { TOKENIZER_VECTORS as V } from './clip-tokenizer-vectors.js';
import { assert, assertEqualArrays, Suite, type Env } from './harness.js';

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function check(tok: ClipTokenizer, want: number[][], L: number, label: string): void {
  const ids = tok.tokenize(V.texts, L);
  V.texts.forEach((t, i) =>
    assertEqualArrays(ids.subarray(i * L, (i + 1) * L), want[i]!, `${label} ${JSON.stringify(t)}`),
  );
}

export function clipTokenizerSuite(_env: Env): Suite {
  const s = new Suite('clip-tokenizer');
  s.test('.txt.gz merges: ids = Python SimpleTokenizer (context 77 and 8)', async () => {
    const text = new TextDecoder().decode(await gunzip(fromBase64(V.mergesGzBase64), 'bpe_tiny_vocab.txt.gz'));
    const tok = new ClipTokenizer(vocabularyFromMerges(text), V.contextLength);
    assert(tok.sot === V.merges.sot && tok.eot === V.merges.eot, `sot/eot ${tok.sot}/${tok.eot}`);
    check(tok, V.merges.ids, V.contextLength, 'merges');
    check(tok, V.short.ids, V.short.contextLength, 'merges, context 8');
  });
  s.test('tokenizer.json: the same ids', () => {
    const tok = new ClipTokenizer(vocabularyFromTokenizerJson(V.tokenizerJsonContent), V.contextLength);
    check(tok, V.tokenizerJson.ids, V.contextLength, 'tokenizer.json');
  });
  return s;
}
