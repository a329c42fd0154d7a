// The CLIP weights: open_clip key names and shapes derived from the resolved config, checked against the
// safetensors header before any tensor is read or any GPU work starts (missing, extra, mis-shaped or non-float
// tensors are named with both shapes), then a ClipWeightSource that reads one tensor at a time by offset.
import { DataError } from '../io/errors.js';
import { openSafetensors, type ByteRangeReader, type SafetensorsFile } from '../io/safetensors.js';
import { mlpHidden } from './config.js';
import type { ClipConfig, ClipTensorDType, ClipWeightSource } from './types.js';

type Shapes = Map<string, number[]>;

function blocks(out: Shapes, prefix: string, layers: number, width: number, hidden: number): void {
  for (let i = 0; i < layers; i++) {
    const p = `${prefix}transformer.resblocks.${i}.`;
    out.set(`${p}ln_1.weight`, [width]);
    out.set(`${p}ln_1.bias`, [width]);
    out.set(`${p}attn.in_proj_weight`, [3 * width, width]);
    out.set(`${p}attn.in_proj_bias`, [3 * width]);
    out.set(`${p}attn.out_proj.weight`, [width, width]);
    out.set(`${p}attn.out_proj.bias`, [width]);
    out.set(`${p}ln_2.weight`, [width]);
    out.set(`${p}ln_2.bias`, [width]);
    out.set(`${p}mlp.c_fc.weight`, [hidden, width]);
    out.set(`${p}mlp.c_fc.bias`, [hidden]);
    out.set(`${p}mlp.c_proj.weight`, [width, hidden]);
    out.set(`${p}mlp.c_proj.bias`, [width]);
  }
}

/**
 * Every tensor an open_clip ViT CLIP holds, with its shape (open_clip's state_dict names).
 * @param config - the model's config.
 * @returns every tensor name with its shape.
 */
export function expectedClipTensors(config: ClipConfig): Map<string, number[]> {
  const out: Shapes = new Map();
  const v = config.vision;
  const grid = v.imageSize / v.patchSize;
  out.set('visual.class_embedding', [v.width]);
  out.set('visual.positional_embedding', [grid * grid + 1, v.width]);
  out.set('visual.proj', [v.width, config.embedDim]);
  out.set('visual.conv1.weight', [v.width, 3, v.patchSize, v.patchSize]);
  out.set('visual.ln_pre.weight', [v.width]);
  out.set('visual.ln_pre.bias', [v.width]);
  blocks(out, 'visual.', v.layers, v.width, mlpHidden(v.width, v.mlpRatio));
  out.set('visual.ln_post.weight', [v.width]);
  out.set('visual.ln_post.bias', [v.width]);
  const t = config.text;
  out.set('positional_embedding', [t.contextLength, t.width]);
  out.set('text_projection', [t.width, config.embedDim]);
  out.set('logit_scale', []);
  out.set('token_embedding.weight', [t.vocabSize, t.width]);
  blocks(out, '', t.layers, t.width, mlpHidden(t.width, t.mlpRatio));
  out.set('ln_final.weight', [t.width]);
  out.set('ln_final.bias', [t.width]);
  return out;
}

/** Optional tensors open_clip checkpoints may carry, with the shapes they may have. */
const OPTIONAL: Record<string, number[][]> = { logit_bias: [[], [1]] };
/** Tensors whose shape may vary as open_clip allows: logit_scale is [] or [1] (nonscalar_logit_scale). */
const ALSO: Record<string, number[][]> = { logit_scale: [[1]] };

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/**
 * Check a safetensors header against the config: every expected key present with its shape and a float dtype
 * (F32, F16, BF16), no extra key. Throws one `DataError` naming `file` and listing every problem (first 8).
 * @param entries - the header's tensors (name → dtype, shape).
 * @param config - the model's config.
 * @param file - the file name in errors.
 */
export function validateClipWeights(
  entries: ReadonlyMap<string, { readonly dtype: string; readonly shape: readonly number[] }>,
  config: ClipConfig,
  file: string,
): void {
  const want = expectedClipTensors(config);
  const problems: string[] = [];
  for (const [name, shape] of want) {
    const e = entries.get(name);
    if (!e) problems.push(`missing tensor "${name}" (expected shape ${fmt(shape)})`);
    else if (!same(e.shape, shape) && !(ALSO[name] ?? []).some((s) => same(s, e.shape)))
      problems.push(`tensor "${name}" has shape ${fmt(e.shape)}, the config needs ${fmt(shape)}`);
  }
  for (const [name, e] of entries) {
    if (want.has(name)) continue;
    if (OPTIONAL[name]?.some((s) => same(s, e.shape))) continue;
    problems.push(`unexpected tensor "${name}" (shape ${fmt(e.shape)}): not part of an open_clip ViT CLIP`);
  }
  for (const [name, e] of entries)
    if (e.dtype !== 'F32' && e.dtype !== 'F16' && e.dtype !== 'BF16')
      problems.push(`tensor "${name}" has dtype ${e.dtype} (F32, F16 or BF16 expected)`);
  if (problems.length) {
    const more = problems.length > 8 ? `; … and ${problems.length - 8} more` : '';
    throw new DataError(
      `the weights do not match the configuration: ${problems.slice(0, 8).join('; ')}${more}` +
        ` (vision ${config.vision.layers}×${config.vision.width}, text ${config.text.layers}×${config.text.width}, ` +
        `embed_dim ${config.embedDim})`,
      { file },
    );
  }
}

/** A ClipWeightSource with the file it reads from (close it when the towers have their copies). */
export interface ClipWeights extends ClipWeightSource {
  readonly file: string;
  /** the dtype most tensors are stored in */
  readonly dtype: ClipTensorDType;
  close(): Promise<void>;
}

/**
 * Open the weights (header validated against `config`, nothing else read yet).
 * @param reader - the .safetensors bytes.
 * @param config - the model's config.
 * @param file - the file name in errors.
 * @returns the weight source (tensors read on demand; close it when done).
 * @throws DataError listing every missing, extra or mis-shaped tensor.
 */
export async function openClipWeights(reader: ByteRangeReader, config: ClipConfig, file: string): Promise<ClipWeights> {
  let st: SafetensorsFile;
  try {
    st = await openSafetensors(reader, (m) => new DataError(m, { file }));
  } catch (e) {
    await reader.close?.();
    throw e;
  }
  try {
    validateClipWeights(st.entries, config, file);
  } catch (e) {
    await st.close();
    throw e;
  }
  const entries = new Map<string, { dtype: ClipTensorDType; shape: readonly number[] }>();
  const count: Record<string, number> = {};
  for (const [name, e] of st.entries) {
    entries.set(name, { dtype: e.dtype as ClipTensorDType, shape: e.shape });
    count[e.dtype] = (count[e.dtype] ?? 0) + (e.end - e.begin);
  }
  const dtype = (Object.entries(count).sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'F32') as ClipTensorDType;
  let closed = false;
  const read = async (name: string): Promise<Float32Array> => {
    if (closed) throw new DataError(`weights already closed (reading "${name}")`, { file });
    const x = await st.f32(name);
    const bad = x.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0)
      throw new DataError(`tensor "${name}" holds ${x[bad]} at index ${bad} (weights must be finite)`, { file });
    return x;
  };
  return {
    file,
    dtype,
    entries,
    read,
    readStored: async (name) => {
      const dt = st.entries.get(name)?.dtype;
      if (dt !== 'F16' && dt !== 'BF16') return read(name);
      if (closed) throw new DataError(`weights already closed (reading "${name}")`, { file });
      const raw = await st.raw(name);
      const bits = new Uint16Array(raw.byteLength / 2);
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < bits.length; i++) bits[i] = dv.getUint16(2 * i, true);
      // all-ones exponent: ±inf or NaN (F16 0x7c00, BF16 0x7f80)
      const mask = dt === 'F16' ? 0x7c00 : 0x7f80;
      const bad = bits.findIndex((b) => (b & mask) === mask);
      if (bad >= 0)
        throw new DataError(`tensor "${name}" holds a non-finite value at index ${bad} (weights must be finite)`, {
          file,
        });
      return { dtype: dt, bits };
    },
    close: async () => {
      if (!closed) await st.close();
      closed = true;
    },
  };
}
