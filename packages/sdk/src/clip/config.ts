// open_clip_config.json → a resolved ClipConfig, every default filled as open_clip fills it (model.py CLIPVisionCfg /
// CLIPTextCfg, transform.py PreprocessCfg). Accepts the hub file ({ model_cfg, preprocess_cfg }) or a bare model
// config (open_clip's model_configs/*.json). Anything that would change the architecture away from the plain ViT
// CLIP these towers implement (timm / HF towers, ResNets, layer scale, attentional pooling, custom text, …) is
// refused by name: a model that loads computes what open_clip computes.
import { DataError } from '../io/errors.js';
import type { ClipConfig, ClipPreprocessConfig } from './types.js';

/** open_clip's OPENAI_DATASET_MEAN / OPENAI_DATASET_STD (constants.py). */
export const OPENAI_MEAN: readonly [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
/**
 * open_clip's OPENAI_DATASET_STD, the per-channel std of the image normalisation.
 */
export const OPENAI_STD: readonly [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

/** The defaults open_clip applies when a field is absent. */
export const CLIP_DEFAULTS = {
  vision: { layers: 12, width: 768, headWidth: 64, mlpRatio: 4, patchSize: 16, imageSize: 224 },
  text: { contextLength: 77, vocabSize: 49408, width: 512, heads: 8, layers: 12, mlpRatio: 4 },
  quickGelu: false,
  preprocess: { mean: OPENAI_MEAN, std: OPENAI_STD, interpolation: 'bicubic', resizeMode: 'shortest' },
} as const;

type Obj = Record<string, unknown>;

/** Fields whose non-default value changes the architecture: [key, the value that is supported]. */
const VISION_FIXED: [string, unknown][] = [
  ['timm_model_name', null],
  ['ls_init_value', null],
  ['attentional_pool', false],
  ['no_ln_pre', false],
  ['pos_embed_type', 'learnable'],
  ['final_ln_after_pool', false],
  ['pool_type', 'tok'],
  ['input_patchnorm', false],
  ['global_average_pool', false],
  ['block_type', null],
  ['qk_norm', false],
  ['scaled_cosine_attn', false],
  ['scale_heads', false],
  ['scale_attn_inner', false],
  ['scale_attn', false],
  ['scale_fc', false],
  ['act_kwargs', null],
  ['norm_kwargs', null],
];
const TEXT_FIXED: [string, unknown][] = [
  ['hf_model_name', null],
  ['text_arch', 'clip'],
  ['ls_init_value', null],
  ['embed_cls', false],
  ['no_causal_mask', false],
  ['final_ln_after_pool', false],
  ['pool_type', 'argmax'],
  ['proj_bias', false],
  ['proj_type', 'linear'],
  ['block_type', null],
  ['qk_norm', false],
  ['scaled_cosine_attn', false],
  ['scale_heads', false],
  ['scale_attn_inner', false],
  ['scale_attn', false],
  ['scale_fc', false],
  ['act_kwargs', null],
  ['norm_kwargs', null],
];

function obj(v: unknown, what: string, file: string): Obj {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new DataError(`${what} must be a JSON object`, { file });
  return v as Obj;
}

function int(o: Obj, key: string, dflt: number, what: string, file: string): number {
  const v = o[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
    throw new DataError(`${what}.${key} must be a positive integer, got ${JSON.stringify(v)}`, { file });
  return v;
}

function positive(o: Obj, key: string, dflt: number, what: string, file: string): number {
  const v = o[key] ?? dflt;
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))
    throw new DataError(`${what}.${key} must be a positive number, got ${JSON.stringify(v)}`, { file });
  return v;
}

function refuseUnsupported(o: Obj, fixed: [string, unknown][], what: string, file: string): void {
  for (const [key, ok] of fixed) {
    const v = o[key];
    if (v === undefined || v === null || v === ok || (ok === null && v === false)) continue;
    throw new DataError(
      `${what}.${key} = ${JSON.stringify(v)} is not supported (m4kit runs the plain ViT CLIP towers; ` +
        `supported: ${JSON.stringify(ok)})`,
      { file },
    );
  }
}

function triple(v: unknown, dflt: readonly [number, number, number], key: string, file: string) {
  if (v === undefined || v === null) return dflt;
  const a = typeof v === 'number' ? [v, v, v] : v;
  if (!Array.isArray(a) || a.length !== 3 || !a.every((x) => typeof x === 'number' && Number.isFinite(x)))
    throw new DataError(`preprocess_cfg.${key} must be 3 numbers (R, G, B), got ${JSON.stringify(v)}`, { file });
  return [a[0], a[1], a[2]] as [number, number, number];
}

function resolvePreprocess(p: Obj, file: string): ClipPreprocessConfig {
  const mean = triple(p.mean, OPENAI_MEAN, 'mean', file);
  const std = triple(p.std, OPENAI_STD, 'std', file);
  if (!std.every((s) => s > 0))
    throw new DataError(`preprocess_cfg.std must be positive, got ${JSON.stringify(std)}`, { file });
  const interpolation = p.interpolation ?? 'bicubic';
  if (interpolation !== 'bicubic' && interpolation !== 'bilinear')
    throw new DataError(
      `preprocess_cfg.interpolation = ${JSON.stringify(interpolation)} is not supported (bicubic or bilinear)`,
      { file },
    );
  const resizeMode = p.resize_mode ?? 'shortest';
  if (resizeMode !== 'shortest' && resizeMode !== 'longest' && resizeMode !== 'squash')
    throw new DataError(
      `preprocess_cfg.resize_mode = ${JSON.stringify(resizeMode)} is not supported (shortest, longest or squash)`,
      { file },
    );
  return Object.freeze({ mean, std, interpolation, resizeMode });
}

/**
 * Resolve an open_clip configuration (the parsed JSON of `open_clip_config.json`, or a bare model config).
 * `file` names it in errors.
 * @param json - the parsed open_clip_config.json (or its model_cfg).
 * @param file - the file name in errors.
 * @returns the frozen config with open_clip's defaults filled in.
 * @throws DataError naming the file and field for a missing, malformed or unsupported setting.
 */
export function resolveClipConfig(json: unknown, file = 'open_clip_config.json'): ClipConfig {
  const root = obj(json, 'the configuration', file);
  const model = root.model_cfg !== undefined ? obj(root.model_cfg, 'model_cfg', file) : root;
  if (model.embed_dim === undefined)
    throw new DataError('no model_cfg.embed_dim: not an open_clip configuration', { file });
  const embedDim = int(model, 'embed_dim', 0, 'model_cfg', file);
  if (model.custom_text === true)
    throw new DataError('model_cfg.custom_text = true is not supported (a separate text tower: SigLIP, CoCa, …)', {
      file,
    });
  const qg = model.quick_gelu ?? CLIP_DEFAULTS.quickGelu;
  if (typeof qg !== 'boolean')
    throw new DataError(`model_cfg.quick_gelu must be true or false, got ${JSON.stringify(qg)}`, { file });

  const v = obj(model.vision_cfg, 'model_cfg.vision_cfg', file);
  const vw = 'vision_cfg';
  refuseUnsupported(v, VISION_FIXED, vw, file);
  if (Array.isArray(v.layers))
    throw new DataError(`${vw}.layers is a list: a ResNet image tower, not supported (ViT only)`, { file });
  let imageSize = v.image_size ?? CLIP_DEFAULTS.vision.imageSize;
  if (Array.isArray(imageSize)) {
    if (imageSize.length !== 2 || imageSize[0] !== imageSize[1])
      throw new DataError(`${vw}.image_size ${JSON.stringify(imageSize)}: only square images are supported`, { file });
    imageSize = imageSize[0];
  }
  const D = CLIP_DEFAULTS.vision;
  const vision = {
    imageSize: int({ image_size: imageSize }, 'image_size', D.imageSize, vw, file),
    patchSize: int(v, 'patch_size', D.patchSize, vw, file),
    width: int(v, 'width', D.width, vw, file),
    layers: int(v, 'layers', D.layers, vw, file),
    heads: 0,
    mlpRatio: positive(v, 'mlp_ratio', D.mlpRatio, vw, file),
  };
  const headWidth = int(v, 'head_width', D.headWidth, vw, file);
  if (vision.width % headWidth !== 0)
    throw new DataError(`${vw}.width ${vision.width} is not a multiple of head_width ${headWidth}`, { file });
  vision.heads = vision.width / headWidth;
  if (vision.imageSize % vision.patchSize !== 0)
    throw new DataError(
      `${vw}.image_size ${vision.imageSize} is not a multiple of patch_size ${vision.patchSize} (open_clip drops ` +
        `the remainder pixels; not supported)`,
      { file },
    );

  const t = obj(model.text_cfg, 'model_cfg.text_cfg', file);
  const tw = 'text_cfg';
  refuseUnsupported(t, TEXT_FIXED, tw, file);
  const T = CLIP_DEFAULTS.text;
  const text = {
    contextLength: int(t, 'context_length', T.contextLength, tw, file),
    vocabSize: int(t, 'vocab_size', T.vocabSize, tw, file),
    width: int(t, 'width', T.width, tw, file),
    heads: int(t, 'heads', T.heads, tw, file),
    layers: int(t, 'layers', T.layers, tw, file),
    mlpRatio: positive(t, 'mlp_ratio', T.mlpRatio, tw, file),
  };
  if (text.width % text.heads !== 0)
    throw new DataError(`${tw}.width ${text.width} is not a multiple of heads ${text.heads}`, { file });

  const preprocess = resolvePreprocess(obj(root.preprocess_cfg, 'preprocess_cfg', file), file);
  return Object.freeze({
    embedDim,
    quickGelu: qg,
    vision: Object.freeze(vision),
    text: Object.freeze(text),
    preprocess,
  });
}

/**
 * MLP hidden width as open_clip computes it: int(width · mlp_ratio).
 * @param width - the tower width.
 * @param mlpRatio - the MLP ratio.
 * @returns ⌊width · mlpRatio⌋.
 */
export function mlpHidden(width: number, mlpRatio: number): number {
  return Math.floor(width * mlpRatio);
}
