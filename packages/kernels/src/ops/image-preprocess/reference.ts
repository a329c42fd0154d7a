// open_clip's image preprocessing, defined exactly as torchvision + PIL compute it for 8-bit RGB images, so the
// float64 reference and the WGSL kernel reproduce PIL's bytes:
//   resize (PIL `Image.resize`, bicubic a = −0.5 or bilinear; when shrinking the filter support is scaled by the
//   factor — the antialiasing): horizontal pass then vertical pass, each in PIL's fixed point (coefficients
//   normalised to sum 1 and quantised to 22 fractional bits, sums rounded half up and clipped to 0..255, so the
//   intermediate image is 8-bit as in PIL);
//   → centre crop (torchvision CenterCrop, offsets rounded half to even) or pad with 0 (open_clip CenterCropOrPad)
//   → /255 → (x − mean)/std, channel-major [3, S, S].
// Sizes per `resizeMode` (open_clip image_transform): 'shortest' torchvision Resize(S) (short side S, long side
// ⌊S·long/short⌋) + CenterCrop(S); 'longest' ResizeKeepRatio(S, longest=1) (both sides round(side/ratio), ratio
// = max(h, w)/S) + CenterCropOrPad(S, fill 0); 'squash' Resize((S, S)).

/** An 8-bit RGBA image (alpha ignored: dropped, as PIL's convert('RGB')). */
export interface PreprocessImage {
  readonly width: number;
  readonly height: number;
  /** RGBA, row-major, 4·width·height bytes */
  readonly data: Uint8Array;
}

/**
 * How an image reaches S × S: 'shortest' resizes the short side to S then centre-crops, 'longest' resizes the long
 * side to S then pads, 'squash' resizes both sides to S (aspect ratio lost) — open_clip's `resize_mode`.
 */
export type ResizeMode = 'shortest' | 'longest' | 'squash';
/**
 * Resampling filter of the resize (PIL's, in its fixed-point arithmetic).
 */
export type Interpolation = 'bicubic' | 'bilinear';

/**
 * open_clip's eval preprocessing: resize (`resizeMode`, `interpolation`), centre crop or pad to `size`, /255, then
 * (x − mean)/std per RGB channel.
 */
export interface PreprocessOptions {
  /** output side S */
  size: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** default 'bicubic' */
  interpolation?: Interpolation;
  /** default 'shortest' */
  resizeMode?: ResizeMode;
}

/** Where an image goes: resized to rw × rh, then output pixel (x, y) = resized (x + left, y + top) (outside: fill). */
export interface ResizePlan {
  rw: number;
  rh: number;
  left: number;
  top: number;
}

export const PRECISION_BITS = 22;

/** Python's round(): half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The resized size and crop/pad offsets open_clip's eval transform gives a w × h image.
 * @param w - image width in pixels.
 * @param h - image height in pixels.
 * @param size - output side S.
 * @param mode - the resize mode.
 * @returns the resized width/height and the crop (or negative: pad) offsets.
 */
export function planResize(w: number, h: number, size: number, mode: ResizeMode): ResizePlan {
  let rw: number, rh: number;
  if (mode === 'squash') {
    rw = rh = size;
  } else if (mode === 'shortest') {
    // torchvision _compute_resized_output_size with an int size
    const short = Math.min(w, h);
    const long = Math.max(w, h);
    const newLong = short === size ? long : Math.trunc((size * long) / short);
    const newShort = size;
    [rw, rh] = w <= h ? [newShort, newLong] : [newLong, newShort];
    if (short === size) [rw, rh] = [w, h];
  } else {
    const ratio = Math.max(h / size, w / size);
    rh = roundHalfEven(h / ratio);
    rw = roundHalfEven(w / ratio);
  }
  rw = Math.max(1, rw);
  rh = Math.max(1, rh);
  // crop (torchvision center_crop pads first when smaller; open_clip center_crop_or_pad likewise)
  const off = (r: number) => (r >= size ? roundHalfEven((r - size) / 2) : -Math.floor((size - r) / 2));
  return { rw, rh, left: off(rw), top: off(rh) };
}

function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

function triangle(x: number): number {
  if (x < 0) x = -x;
  return x < 1 ? 1 - x : 0;
}

/**
 * PIL's `precompute_coeffs` + `normalize_coeffs_8bpc` for the outputs `first .. first + count − 1` of an
 * inSize → outSize resize (outputs outside [0, outSize) get no taps: they are padding). Returns per output its
 * first tap `start`, tap count `taps`, and `ksize` fixed-point weights (i32).
 * @param inSize - input length (pixels).
 * @param outSize - resized length.
 * @param first - first output index to compute (the crop offset).
 * @param count - outputs to compute (S).
 * @param interpolation - the filter.
 * @returns per output: first tap, tap count, and `ksize` i32 weights each (PIL's 22-bit fixed point).
 */
export function resampleCoeffs(
  inSize: number,
  outSize: number,
  first: number,
  count: number,
  interpolation: Interpolation,
): { ksize: number; start: Int32Array; taps: Int32Array; weights: Int32Array } {
  const filter = interpolation === 'bilinear' ? triangle : bicubic;
  const fsupport = interpolation === 'bilinear' ? 1 : 2;
  const scale = inSize / outSize;
  const filterscale = Math.max(1, scale);
  const support = fsupport * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(count);
  const taps = new Int32Array(count);
  const weights = new Int32Array(count * ksize);
  const k = new Float64Array(ksize);
  for (let j = 0; j < count; j++) {
    const xx = first + j;
    if (xx < 0 || xx >= outSize) continue;
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? k[x]! / ww : k[x]!;
      weights[j * ksize + x] = Math.trunc(v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
    }
    start[j] = xmin;
    taps[j] = xmax;
  }
  return { ksize, start, taps, weights };
}

/** PIL's clip8 of a fixed-point sum (rounding offset included by the caller). */
export function clip8(ss: number): number {
  if (ss >= 255 << PRECISION_BITS) return 255;
  if (ss <= 0) return 0;
  return Math.floor(ss / (1 << PRECISION_BITS));
}

/** Check the options and fill defaults; shared by both backends. */
export function resolvePreprocess(opts: PreprocessOptions): Required<PreprocessOptions> {
  return { interpolation: 'bicubic', resizeMode: 'shortest', ...opts };
}

/**
 * The preprocessed 8-bit RGB image (before /255 and normalisation): S × S × 3 bytes, row-major, padding 0.
 * Exactly what torchvision's Resize + CenterCrop(OrPad) produce from a PIL RGB image.
 * @param img - one RGBA8 image.
 * @param o - resolved options (every field set, as `checkImagePreprocess` returns them).
 * @returns S·S·3 bytes.
 */
export function resizeCropRef(img: PreprocessImage, o: Required<PreprocessOptions>): Uint8Array {
  const S = o.size;
  const { width: w, height: h, data } = img;
  const p = planResize(w, h, S, o.resizeMode);
  const hc = resampleCoeffs(w, p.rw, p.left, S, o.interpolation);
  const vc = resampleCoeffs(h, p.rh, p.top, S, o.interpolation);
  const half = 1 << (PRECISION_BITS - 1);
  // horizontal pass over every input row (the kernel does only the rows the vertical taps read: same values)
  const tmp = new Uint8Array(h * S * 3);
  for (let y = 0; y < h; y++)
    for (let j = 0; j < S; j++)
      for (let c = 0; c < 3; c++) {
        let ss = half;
        for (let t = 0; t < hc.taps[j]!; t++)
          ss += data[4 * (y * w + hc.start[j]! + t) + c]! * hc.weights[j * hc.ksize + t]!;
        tmp[3 * (y * S + j) + c] = hc.taps[j]! ? clip8(ss) : 0;
      }
  const out = new Uint8Array(S * S * 3);
  for (let i = 0; i < S; i++)
    for (let j = 0; j < S; j++)
      for (let c = 0; c < 3; c++) {
        if (!vc.taps[i] || !hc.taps[j]) continue; // padding: fill 0
        let ss = half;
        for (let t = 0; t < vc.taps[i]!; t++)
          ss += tmp[3 * ((vc.start[i]! + t) * S + j) + c]! * vc.weights[i * vc.ksize + t]!;
        out[3 * (i * S + j) + c] = clip8(ss);
      }
  return out;
}

/**
 * Float64 reference: n × 3 × S × S, (byte/255 − mean)/std per channel.
 * @param images - RGBA8 images of any sizes.
 * @param opts - as for `imagePreprocess`.
 * @returns n·3·S·S float64 values in [n, 3, S, S] order.
 */
export function imagePreprocessRef(images: readonly PreprocessImage[], opts: PreprocessOptions): Float64Array {
  const o = resolvePreprocess(opts);
  const S = o.size;
  const out = new Float64Array(images.length * 3 * S * S);
  images.forEach((img, n) => {
    const rgb = resizeCropRef(img, o);
    for (let c = 0; c < 3; c++)
      for (let q = 0; q < S * S; q++) out[(n * 3 + c) * S * S + q] = (rgb[3 * q + c]! / 255 - o.mean[c]!) / o.std[c]!;
  });
  return out;
}
