// EXIF orientation: read the Orientation tag (0x0112) of a JPEG's APP1 "Exif" segment or a PNG's eXIf chunk, and
// apply it to decoded RGBA pixels the way PIL's `ImageOps.exif_transpose` does (browsers' createImageBitmap does
// the same with imageOrientation 'from-image'). A small parser on purpose: one tag of IFD0 is all we need, and a
// damaged EXIF block must never make an image undecodable (it reads as orientation 1).
import { u32View, type RgbaImage } from './types.js';

/** The TIFF block of a JPEG APP1 Exif segment (or null). */
function jpegExif(b: Uint8Array): Uint8Array | null {
  let i = 2;
  while (i + 4 <= b.length && b[i] === 0xff) {
    const marker = b[i + 1]!;
    if (marker === 0xd9 || marker === 0xda) break; // EOI / start of scan: no metadata after
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    const len = (b[i + 2]! << 8) | b[i + 3]!;
    if (len < 2) break;
    const start = i + 4;
    if (
      marker === 0xe1 &&
      len >= 8 &&
      b[start] === 0x45 && // E
      b[start + 1] === 0x78 && // x
      b[start + 2] === 0x69 && // i
      b[start + 3] === 0x66 && // f
      b[start + 4] === 0 &&
      b[start + 5] === 0
    )
      return b.subarray(start + 6, Math.min(b.length, i + 2 + len));
    i += 2 + len;
  }
  return null;
}

/** The eXIf chunk of a PNG (or null). */
function pngExif(b: Uint8Array): Uint8Array | null {
  let i = 8;
  while (i + 8 <= b.length) {
    const len = ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
    const type = String.fromCharCode(b[i + 4]!, b[i + 5]!, b[i + 6]!, b[i + 7]!);
    if (type === 'eXIf') return b.subarray(i + 8, Math.min(b.length, i + 8 + len));
    if (type === 'IDAT' || type === 'IEND') {
      // eXIf may follow IDAT in practice; keep scanning past IDAT, stop at IEND
      if (type === 'IEND') break;
    }
    i += 12 + len;
  }
  return null;
}

/** Orientation (1..8) from a TIFF block; 1 when absent or unreadable. */
export function tiffOrientation(t: Uint8Array): number {
  if (t.length < 8) return 1;
  const le = t[0] === 0x49 && t[1] === 0x49;
  if (!le && !(t[0] === 0x4d && t[1] === 0x4d)) return 1;
  const u16 = (o: number) => (le ? t[o]! | (t[o + 1]! << 8) : (t[o]! << 8) | t[o + 1]!);
  const u32 = (o: number) => (le ? u16(o) + u16(o + 2) * 65536 : u16(o) * 65536 + u16(o + 2));
  if (u16(2) !== 42) return 1;
  const ifd = u32(4);
  if (ifd + 2 > t.length) return 1;
  const count = u16(ifd);
  for (let k = 0; k < count; k++) {
    const e = ifd + 2 + 12 * k;
    if (e + 12 > t.length) return 1;
    if (u16(e) === 0x0112) {
      const v = u16(e + 2) === 3 ? u16(e + 8) : u16(e + 2) === 4 ? u32(e + 8) : 1;
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

/**
 * EXIF orientation of encoded image bytes (JPEG APP1 or PNG eXIf); 1 when there is none.
 * @param bytes - the encoded image.
 * @param format - 'png' or 'jpeg'.
 * @returns the orientation 1..8.
 */
export function exifOrientation(bytes: Uint8Array, format: 'png' | 'jpeg'): number {
  const t = format === 'jpeg' ? jpegExif(bytes) : pngExif(bytes);
  return t ? tiffOrientation(t) : 1;
}

/**
 * Apply an EXIF orientation to RGBA pixels (PIL `exif_transpose`: 2 mirror, 3 rotate 180°, 4 flip, 5 transpose,
 * 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise). Orientation 1 returns the image as is.
 * @param img - RGBA8 pixels.
 * @param orientation - the EXIF orientation 1..8.
 * @returns the image as displayed (a new image unless orientation is 1).
 */
export function applyOrientation(img: RgbaImage, orientation: number): RgbaImage {
  if (orientation <= 1 || orientation > 8) return img;
  const { width: W, height: H } = img;
  const swap = orientation >= 5;
  const ow = swap ? H : W;
  const oh = swap ? W : H;
  // (sx, sy) = (ax·x + bx·y + cx, ay·x + by·y + cy) for each orientation
  const m: Record<number, [number, number, number, number, number, number]> = {
    2: [-1, 0, W - 1, 0, 1, 0],
    3: [-1, 0, W - 1, 0, -1, H - 1],
    4: [1, 0, 0, 0, -1, H - 1],
    5: [0, 1, 0, 1, 0, 0],
    6: [0, 1, 0, -1, 0, H - 1],
    7: [0, -1, W - 1, -1, 0, H - 1],
    8: [0, -1, W - 1, 1, 0, 0],
  };
  const [ax, bx, cx, ay, by, cy] = m[orientation]!;
  const src = u32View(img.data);
  const data = new Uint8Array(ow * oh * 4);
  const dst = new Uint32Array(data.buffer);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) dst[y * ow + x] = src[(ay * x + by * y + cy) * W + ax * x + bx * y + cx]!;
  }
  return { width: ow, height: oh, data };
}
