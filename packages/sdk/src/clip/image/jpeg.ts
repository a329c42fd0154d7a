// JPEG → RGBA8 with jpeg-js (pure JS, no dependencies, no native code; baseline and progressive, 1, 3 and 4
// components). 4-component (CMYK / Adobe YCCK) JPEGs are converted as PIL's `convert('RGB')` does,
// R = (255 − C)(255 − K)/255 (jpeg-js's formula is the same). Its chroma upsampling is nearest-neighbour where
// libjpeg-turbo (PIL, browsers) interpolates ("fancy upsampling"), so 4:2:0 images differ from PIL by a few
// levels at colour edges; the measured difference is in the docs.
import jpegJs from 'jpeg-js';
import type { RgbaImage } from './types.js';

/** Largest image decoded (megapixels); jpeg-js refuses larger ones by name. */
export const MAX_JPEG_MEGAPIXELS = 200;

/** Decode JPEG bytes; throws the decoder's Error (the caller names the file). */
export function decodeJpegRgba(bytes: Uint8Array): RgbaImage {
  const img = jpegJs.decode(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    tolerantDecoding: false,
    maxResolutionInMP: MAX_JPEG_MEGAPIXELS,
    maxMemoryUsageInMB: 4096,
  });
  return { width: img.width, height: img.height, data: img.data as Uint8Array };
}
