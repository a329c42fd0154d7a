// PNG → RGBA8 with fast-png (pure JS + fflate; no native code, the same in Node, Deno and browsers). Every PNG
// colour type and depth is read; the result follows PIL's `Image.open(f).convert('RGB')`:
// greyscale is replicated to R = G = B; sub-byte greys are scaled (1-bit ×255, 2-bit ×85, 4-bit ×17); palettes are
// looked up; alpha and tRNS are ignored (dropped, not composited); 16-bit samples keep their high byte (PIL's
// 'RGB;16B' unpacker; for 16-bit greyscale PIL clips the 16-bit value at 255 instead, which whitens nearly every
// pixel — we keep the high byte there too and say so in the docs).
import { decode as decodePng } from 'fast-png';
import type { RgbaImage } from './types.js';

/** Decode PNG bytes; throws the decoder's Error (the caller names the file). */
export function decodePngRgba(bytes: Uint8Array): RgbaImage {
  const png = decodePng(bytes, { checkCrc: false });
  const { width, height, depth, channels } = png;
  const n = width * height;
  const out = new Uint8Array(n * 4);
  const src = png.data;
  if (png.palette) {
    const idx = unpackSubByte(src as Uint8Array, width, height, depth, false);
    const pal = png.palette;
    for (let i = 0; i < n; i++) {
      const c = pal[idx[i]!];
      if (!c) throw new Error(`palette index ${idx[i]} at pixel ${i} is outside the ${pal.length}-colour palette`);
      out[4 * i] = c[0]!;
      out[4 * i + 1] = c[1]!;
      out[4 * i + 2] = c[2]!;
      out[4 * i + 3] = 255;
    }
    return { width, height, data: out };
  }
  if (depth < 8) {
    const grey = unpackSubByte(src as Uint8Array, width, height, depth, true);
    for (let i = 0; i < n; i++) {
      const v = grey[i]!;
      out[4 * i] = out[4 * i + 1] = out[4 * i + 2] = v;
      out[4 * i + 3] = 255;
    }
    return { width, height, data: out };
  }
  const shift = depth === 16 ? 8 : 0;
  const colour = channels >= 3;
  for (let i = 0; i < n; i++) {
    const s = i * channels;
    const r = src[s]! >> shift;
    out[4 * i] = r;
    out[4 * i + 1] = colour ? src[s + 1]! >> shift : r;
    out[4 * i + 2] = colour ? src[s + 2]! >> shift : r;
    out[4 * i + 3] = 255;
  }
  return { width, height, data: out };
}

/** Unpack 1/2/4/8-bit single-channel rows (each row starts on a byte); `scale` maps greys to 0..255. */
function unpackSubByte(src: Uint8Array, width: number, height: number, depth: number, scale: boolean): Uint8Array {
  const out = new Uint8Array(width * height);
  if (depth === 8) {
    out.set(src.subarray(0, width * height));
    return out;
  }
  const stride = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  const mul = scale ? 255 / mask : 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const v = (src[y * stride + (bit >> 3)]! >> (8 - depth - (bit & 7))) & mask;
      out[y * width + x] = v * mul;
    }
  }
  return out;
}
