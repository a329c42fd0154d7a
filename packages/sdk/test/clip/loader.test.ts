// Loading refuses by name, before any GPU work: config fields open_clip would fill (defaults) or that change the
// architecture (refused), and weights that do not match the config (missing / extra / mis-shaped key with both
// shapes, a non-float dtype, a truncated file), missing files in the folder.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { init } from '@m4kit/kernels';
import { describe, expect, test } from 'vitest';
import { CLIP_DEFAULTS, OPENAI_MEAN, OPENAI_STD, resolveClipConfig } from '../../src/clip/config.js';
import { loadClip } from '../../src/clip/model.js';
import { expectedClipTensors } from '../../src/clip/weights.js';
import { decodeF32, safetensorsHeaderOf, writeSafetensors, type SafetensorsTensor } from '../../src/io/safetensors.js';

const ROOT = join(__dirname, '../../../..');
const DIR = join(ROOT, 'data/clip-tiny/gelu');
const file = (n: string) => new Uint8Array(readFileSync(join(DIR, n)));

describe('resolveClipConfig fills what open_clip fills', () => {
  test('a bare model config: every default', () => {
    const c = resolveClipConfig({ embed_dim: 512 });
    expect(c).toEqual({
      embedDim: 512,
      quickGelu: false,
      vision: { imageSize: 224, patchSize: 16, width: 768, layers: 12, heads: 12, mlpRatio: 4 },
      text: { contextLength: 77, vocabSize: 49408, width: 512, heads: 8, layers: 12, mlpRatio: 4 },
      preprocess: { mean: OPENAI_MEAN, std: OPENAI_STD, interpolation: 'bicubic', resizeMode: 'shortest' },
    });
    expect(CLIP_DEFAULTS.vision.headWidth).toBe(64);
    expect(Object.isFrozen(c) && Object.isFrozen(c.vision)).toBe(true);
  });
  test('the hub layout (model_cfg + preprocess_cfg), ViT-B-32 as open_clip ships it', () => {
    const c = resolveClipConfig({
      model_cfg: {
        embed_dim: 512,
        quick_gelu: true,
        vision_cfg: { image_size: [224, 224], layers: 12, width: 768, patch_size: 32 },
        text_cfg: { context_length: 77, vocab_size: 49408, width: 512, heads: 8, layers: 12 },
      },
      preprocess_cfg: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], interpolation: 'bilinear', resize_mode: 'squash' },
    });
    expect(c.quickGelu).toBe(true);
    expect(c.vision).toMatchObject({ imageSize: 224, patchSize: 32, heads: 12 });
    expect(c.preprocess).toEqual({
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      interpolation: 'bilinear',
      resizeMode: 'squash',
    });
  });
  test.each([
    [{}, /no model_cfg\.embed_dim/],
    [
      { embed_dim: 8, vision_cfg: { timm_model_name: 'vit_base' } },
      /vision_cfg\.timm_model_name = "vit_base" is not supported/,
    ],
    [{ embed_dim: 8, vision_cfg: { layers: [3, 4, 6, 3] } }, /vision_cfg\.layers is a list: a ResNet/],
    [{ embed_dim: 8, vision_cfg: { width: 100 } }, /vision_cfg\.width 100 is not a multiple of head_width 64/],
    [{ embed_dim: 8, vision_cfg: { image_size: 225 } }, /image_size 225 is not a multiple of patch_size 16/],
    [{ embed_dim: 8, text_cfg: { hf_model_name: 'xlm-roberta' } }, /text_cfg\.hf_model_name/],
    [
      { embed_dim: 8, text_cfg: { ls_init_value: 1e-5 } },
      /text_cfg\.ls_init_value = 0\.00001 is not supported|ls_init_value = 1e-5/,
    ],
    [{ embed_dim: 8, custom_text: true }, /custom_text = true is not supported/],
    [{ embed_dim: 8, quick_gelu: 'yes' }, /quick_gelu must be true or false/],
    [{ embed_dim: 8, text_cfg: { layers: 0 } }, /text_cfg\.layers must be a positive integer, got 0/],
    [{ model_cfg: { embed_dim: 8 }, preprocess_cfg: { interpolation: 'nearest' } }, /interpolation = "nearest"/],
    [{ model_cfg: { embed_dim: 8 }, preprocess_cfg: { mean: [1, 2] } }, /preprocess_cfg\.mean must be 3 numbers/],
  ])('refuses %j', (json, msg) => {
    expect(() => resolveClipConfig(json, 'cfg.json')).toThrow(msg);
    expect(() => resolveClipConfig(json, 'cfg.json')).toThrow(/^cfg\.json/);
  });
});

describe('weights are checked against the config before any tower is built', () => {
  const bytes = file('open_clip_model.safetensors');
  const header = safetensorsHeaderOf(bytes, (m) => new Error(m));
  const tensors = (): SafetensorsTensor[] =>
    [...header.entries].map(([name, e]) => ({
      name,
      shape: [...e.shape],
      dtype: 'F32' as const,
      data: decodeF32(bytes.subarray(e.begin, e.end), e.dtype, (m) => new Error(m), name),
    }));
  const folder = (weights: Uint8Array) =>
    new Map<string, Uint8Array>([
      ['open_clip_config.json', file('open_clip_config.json')],
      ['bpe_tiny_vocab.txt.gz', file('bpe_tiny_vocab.txt.gz')],
      ['open_clip_model.safetensors', weights],
    ]);
  const load = async (weights: Uint8Array) => loadClip(folder(weights), { kernels: await init({ backend: 'cpu' }) });

  test('the unmodified file loads (and the rewrite is faithful)', async () => {
    const clip = await load(writeSafetensors(tensors()));
    expect(clip.config.embedDim).toBe(24);
    expect(expectedClipTensors(clip.config).size).toBe(header.entries.size);
  });
  test('missing key', async () => {
    const t = tensors().filter((x) => x.name !== 'visual.ln_post.bias');
    await expect(load(writeSafetensors(t))).rejects.toThrow(
      /open_clip_model\.safetensors: .*missing tensor "visual\.ln_post\.bias" \(expected shape \[32\]\)/,
    );
  });
  test('extra key', async () => {
    const t = [...tensors(), { name: 'visual.extra', shape: [2], dtype: 'F32' as const, data: [1, 2] }];
    await expect(load(writeSafetensors(t))).rejects.toThrow(/unexpected tensor "visual\.extra" \(shape \[2\]\)/);
  });
  test('mis-shaped key: both shapes named', async () => {
    const t = tensors().map((x) =>
      x.name === 'text_projection' ? { ...x, shape: [24, 32], data: Array.from(x.data as Float32Array) } : x,
    );
    await expect(load(writeSafetensors(t))).rejects.toThrow(
      /tensor "text_projection" has shape \[24, 32\], the config needs \[32, 24\]/,
    );
  });
  test('bad dtype (F64)', async () => {
    const t = tensors().map((x) => (x.name === 'logit_scale' ? { ...x, dtype: 'F64' as const } : x));
    await expect(load(writeSafetensors(t))).rejects.toThrow(
      /tensor "logit_scale" has dtype F64 \(F32, F16 or BF16 expected\)/,
    );
  });
  test('truncated file', async () => {
    const full = writeSafetensors(tensors());
    await expect(load(full.subarray(0, Math.floor(full.length * 0.6)))).rejects.toThrow(
      /open_clip_model\.safetensors: truncated: tensor "[^"]+" ends at byte \d+, the file has \d+/,
    );
  });
  test('NaN weight: named when read', async () => {
    const t = tensors().map((x) =>
      x.name === 'visual.proj' ? { ...x, data: [NaN, ...Array.from(x.data).slice(1)] } : x,
    );
    await expect(load(writeSafetensors(t))).rejects.toThrow(/tensor "visual\.proj" holds NaN at index 0/);
  });
  test('folder without tokenizer or config: named, listing the files', async () => {
    const k = await init({ backend: 'cpu' });
    const w = writeSafetensors(tensors());
    const noTok = new Map([...folder(w)].filter(([n]) => !n.endsWith('.gz')));
    await expect(loadClip(noTok, { kernels: k })).rejects.toThrow(
      /no tokenizer vocabulary: put open_clip's bpe_simple_vocab_16e6\.txt\.gz/,
    );
    // an image-only model needs no vocabulary
    const img = await loadClip(noTok, { kernels: k, towers: { text: false } });
    expect(img.tokenizer).toBeNull();
    await expect(img.embedTexts(['x'])).rejects.toThrow(/without its text tower/);
    const noCfg = new Map([...folder(w)].filter(([n]) => !n.endsWith('.json')));
    await expect(loadClip(noCfg, { kernels: k })).rejects.toThrow(
      /no open_clip_config\.json \(files: bpe_tiny_vocab\.txt\.gz, open_clip_model\.safetensors\)/,
    );
    const pt = new Map([...noTok].filter(([n]) => !n.endsWith('.safetensors')));
    pt.set('open_clip_pytorch_model.bin', new Uint8Array(4));
    pt.set('bpe_tiny_vocab.txt.gz', file('bpe_tiny_vocab.txt.gz'));
    await expect(loadClip(pt, { kernels: k })).rejects.toThrow(/pickled PyTorch files are not read/);
  });
});

test('weights are read one tensor at a time by offset (never the whole file in one piece), each at most once', async () => {
  const bytes = file('open_clip_model.safetensors');
  const header = safetensorsHeaderOf(bytes, (m) => new Error(m));
  const largest = Math.max(...[...header.entries.values()].map((e) => e.end - e.begin));
  const reads: [number, number][] = [];
  const weights = {
    open: async () => ({
      size: bytes.length,
      read: async (o: number, n: number) => {
        reads.push([o, n]);
        return bytes.slice(o, o + n);
      },
    }),
  };
  const files = new Map<string, Uint8Array | typeof weights>([
    ['open_clip_config.json', file('open_clip_config.json')],
    ['bpe_tiny_vocab.txt.gz', file('bpe_tiny_vocab.txt.gz')],
    ['open_clip_model.safetensors', weights],
  ]);
  const clip = await loadClip(files, { kernels: await init({ backend: 'cpu' }) });
  expect(clip.config.embedDim).toBe(24);
  expect(Math.max(...reads.map(([, n]) => n))).toBe(largest);
  const data = reads.filter(([o]) => o >= header.dataStart);
  // every tensor but logit_scale (the towers do not use it), each once
  const scale = header.entries.get('logit_scale')!;
  expect(data.length).toBe(header.entries.size - 1);
  expect(new Set(data.map(([o]) => o)).size).toBe(data.length);
  expect(data.reduce((s, [, n]) => s + n, 0)).toBe(bytes.length - header.dataStart - (scale.end - scale.begin));
});
