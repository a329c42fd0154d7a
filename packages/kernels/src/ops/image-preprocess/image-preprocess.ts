import type { Tensor } from '../../types.js';
import { cpuF32 } from '../../runtime/cpu-tensor.js';
import { defineOp, type OpDeclaration } from '../op.js';
import { imagePreprocessRef } from './reference.js';
// open_clip's preprocessing on the device: host images → [n, 3, S, S] f32, normalised, ready for the vision tower.
// Per image: its RGBA bytes uploaded as one u32 per pixel, PIL's fixed-point coefficients computed on the host
// (reference.ts), a horizontal pass over only the input rows the vertical taps read, then the vertical pass that
// also crops / pads and normalises into the image's slice of the output. Two dispatches per image, one submit.
import type { DispatchSpec, GpuContext, GpuTensor } from '../../runtime/context.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { bindRange, ceilDiv, MAX_WG } from '../common.js';
import { horizontalKernel, verticalKernel, WG } from './image-preprocess.wgsl.js';
import {
  planResize,
  resampleCoeffs,
  resolvePreprocess,
  type PreprocessImage,
  type PreprocessOptions,
} from './reference.js';

const MODES = ['shortest', 'longest', 'squash'];
const INTERP = ['bicubic', 'bilinear'];
/** largest output side: S·S threads per image in a 2-D grid of 16×16 workgroups */
export const MAX_SIZE = WG * 4096;

/**
 * Host checks of imagePreprocess (both backends); returns the options with defaults filled in.
 * @param images - RGBA8 images `{ width, height, data }` (data: width·height·4 bytes).
 * @param opts - output side, mean/std per channel, interpolation and resize mode.
 * @returns the options with defaults (`bicubic`, `shortest`) filled in.
 * @throws ArgumentError naming the image or option that is malformed.
 */
export function checkImagePreprocess(
  images: readonly PreprocessImage[],
  opts: PreprocessOptions,
): Required<PreprocessOptions> {
  const op = 'imagePreprocess';
  if (!Array.isArray(images)) throw new ArgumentError(`${op}: images must be an array of { width, height, data }`);
  if (typeof opts !== 'object' || opts === null) throw new ArgumentError(`${op}: options are required`);
  const o = resolvePreprocess(opts);
  if (!Number.isInteger(o.size) || o.size < 1 || o.size > MAX_SIZE)
    throw new ArgumentError(`${op}: size must be an integer in [1, ${MAX_SIZE}], got ${o.size}`);
  if (!MODES.includes(o.resizeMode))
    throw new ArgumentError(`${op}: unknown resizeMode "${o.resizeMode}" (${MODES.join(', ')})`);
  if (!INTERP.includes(o.interpolation))
    throw new ArgumentError(`${op}: unknown interpolation "${o.interpolation}" (${INTERP.join(', ')})`);
  for (const [name, v] of [
    ['mean', o.mean],
    ['std', o.std],
  ] as const) {
    if (!v || v.length !== 3 || !Array.from(v).every((x) => Number.isFinite(x)))
      throw new ArgumentError(`${op}: ${name} must be 3 finite numbers`);
  }
  if (!o.std.every((x) => x > 0)) throw new ArgumentError(`${op}: std must be positive, got [${o.std.join(', ')}]`);
  images.forEach((img, i) => {
    const { width: w, height: h } = img ?? {};
    if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1)
      throw new ShapeError(`${op}: image ${i} has size ${w}×${h} (needs at least 1×1)`);
    if (!(img.data instanceof Uint8Array) || img.data.length !== 4 * w * h)
      throw new ShapeError(`${op}: image ${i} (${w}×${h}) needs ${4 * w * h} RGBA bytes, got ${img.data?.length}`);
  });
  return o;
}

function u32Pixels(data: Uint8Array): Uint32Array {
  return data.byteOffset % 4 === 0
    ? new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2)
    : new Uint32Array(data.slice().buffer);
}

/**
 * Preprocess `images` (RGBA, any sizes) into a new [n, 3, S, S] f32 tensor.
 * @param ctx - the WebGPU context that receives the tensor.
 * @param images - RGBA8 images of any sizes (alpha is dropped).
 * @param opts - output side S, per-channel mean/std, interpolation and resize mode (open_clip's eval transform).
 * @returns a new [n, 3, S, S] f32 tensor: (byte/255 − mean)/std per channel.
 * @throws ArgumentError for malformed images or options.
 */
export function imagePreprocess(
  ctx: GpuContext,
  images: readonly PreprocessImage[],
  opts: PreprocessOptions,
): GpuTensor {
  checkImagePreprocess(images, opts);
  return imagePreprocessUnchecked(ctx, images, opts);
}

function imagePreprocessUnchecked(
  ctx: GpuContext,
  images: readonly PreprocessImage[],
  opts: PreprocessOptions,
): GpuTensor {
  const o = resolvePreprocess(opts);
  const S = o.size;
  const out = ctx.empty([images.length, 3, S, S]);
  if (images.length === 0) return out;
  const limit = ctx.maxBindingSize;
  if (3 * S * S * 4 > limit)
    throw new ShapeError(
      `imagePreprocess: one ${S}×${S} output (${12 * S * S} B) exceeds the binding limit ${limit} B`,
    );
  const temps: GPUBuffer[] = [];
  const ds: DispatchSpec[] = [];
  const plans = images.map((img, i) => {
    const p = planResize(img.width, img.height, S, o.resizeMode);
    const hc = resampleCoeffs(img.width, p.rw, p.left, S, o.interpolation);
    const vc = resampleCoeffs(img.height, p.rh, p.top, S, o.interpolation);
    let y0 = Infinity;
    let y1 = 0;
    for (let r = 0; r < S; r++)
      if (vc.taps[r]! > 0) {
        y0 = Math.min(y0, vc.start[r]!);
        y1 = Math.max(y1, vc.start[r]! + vc.taps[r]!);
      }
    const rows = Math.max(0, y1 - y0);
    if (img.width * img.height * 4 > limit)
      throw new ShapeError(
        `imagePreprocess: image ${i} (${img.width}×${img.height}, ${img.width * img.height * 4} B) exceeds the ` +
          `binding limit ${limit} B; downscale it first`,
      );
    if (rows * S * 4 > limit)
      throw new ShapeError(
        `imagePreprocess: image ${i} needs ${rows}×${S} intermediate pixels, over the binding limit`,
      );
    if (ceilDiv(rows, WG) > MAX_WG) throw new ShapeError(`imagePreprocess: image ${i} is too tall (${rows} rows)`);
    return { hc, vc, y0: rows ? y0 : 0, rows };
  });
  // every image's coefficients in one u32 tensor: [h start | h taps | h weights | v start | v taps | v weights]
  const axisLen = (c: { weights: Int32Array }) => 2 * S + c.weights.length;
  const coefLen = plans.reduce((a, p) => a + axisLen(p.hc) + axisLen(p.vc), 0);
  const coefHost = new Int32Array(coefLen);
  const offsets: number[] = [];
  let at = 0;
  for (const p of plans) {
    offsets.push(at);
    for (const c of [p.hc, p.vc]) {
      coefHost.set(c.start, at);
      coefHost.set(c.taps, at + S);
      coefHost.set(c.weights, at + 2 * S);
      at += axisLen(c);
    }
  }
  const coef = ctx.empty([coefLen], 'u32');
  ctx.device.queue.writeBuffer(coef.buffer, 0, coefHost.buffer, 0, coefLen * 4);
  temps.push(coef.buffer);
  const maxRows = Math.max(1, ...plans.map((p) => p.rows));
  const tmp = ctx.empty([maxRows * S], 'u32');
  temps.push(tmp.buffer);
  images.forEach((img, i) => {
    const { hc, vc, y0, rows } = plans[i]!;
    const n = img.width * img.height;
    const px = ctx.empty([n], 'u32');
    const src = u32Pixels(img.data);
    ctx.device.queue.writeBuffer(px.buffer, 0, src.buffer as ArrayBuffer, src.byteOffset, n * 4);
    temps.push(px.buffer);
    const hLen = axisLen(hc);
    const rc = bindRange(coef, offsets[i]!, hLen + axisLen(vc));
    const rt = bindRange(tmp, 0, Math.max(1, rows * S));
    const ro = bindRange(out, i * 3 * S * S, 3 * S * S);
    const rp = bindRange(px, 0, n);
    if (rows > 0)
      ds.push(
        horizontalKernel.dispatch(ctx, {
          spec: {},
          params: { w: img.width, s: S, rows, y0, pxBase: rp.base, cBase: rc.base, k: hc.ksize, tBase: rt.base },
          bindings: { PX: rp.resource, C: rc.resource, T: rt.resource },
          workgroups: [ceilDiv(S, WG), ceilDiv(rows, WG)],
          temps,
        }),
      );
    ds.push(
      verticalKernel.dispatch(ctx, {
        spec: {},
        params: {
          s: S,
          y0,
          hBase: rc.base,
          vBase: rc.base + hLen,
          k: vc.ksize,
          tBase: rt.base,
          oBase: ro.base,
          m0: o.mean[0],
          m1: o.mean[1],
          m2: o.mean[2],
          d0: o.std[0],
          d1: o.std[1],
          d2: o.std[2],
        },
        bindings: { C: rc.resource, T: rt.resource, O: ro.resource },
        workgroups: [ceilDiv(S, WG), ceilDiv(S, WG)],
        temps,
      }),
    );
  });
  ctx.submit('imagePreprocess', ds, temps);
  return out;
}

/**
 * open_clip's eval preprocessing of 8-bit RGBA host images (any sizes; alpha dropped): PIL bicubic/bilinear resize
 * (antialiased when shrinking) per `resizeMode`, centre crop or pad, /255, (x − mean)/std → [n, 3, S, S] f32,
 * byte-exact with PIL before the normalisation (`imagePreprocessRef`).
 */
export const imagePreprocessOp: OpDeclaration<(images: readonly PreprocessImage[], opts: PreprocessOptions) => Tensor> =
  defineOp<(images: readonly PreprocessImage[], opts: PreprocessOptions) => Tensor>({
    name: 'imagePreprocess',
    check: (images, opts) => void checkImagePreprocess(images, opts),
    webgpu: imagePreprocessUnchecked,
    cpu: (images, opts) => {
      const o = resolvePreprocess(opts);
      return cpuF32(imagePreprocessRef(images, o), [images.length, 3, o.size, o.size]);
    },
  });
