// Decoded images as the preprocessing takes them.

/**
 * A decoded image: 8-bit RGBA, row-major, `data.length === 4·width·height`. Alpha is carried but never used: the
 * preprocessing drops it, as PIL's `.convert('RGB')` does (it does not composite onto a background).
 */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** What `embedImages` / `decodeImage` accept: bytes of a PNG / JPEG (/ WebP where the platform decodes it). */
export type ImageBytes = Uint8Array | ArrayBuffer;

/** One pixel per u32 (little-endian R | G << 8 | B << 16 | A << 24), copying only when `data` is misaligned. */
export function u32View(data: Uint8Array): Uint32Array {
  if (data.byteOffset % 4 === 0) return new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2);
  return new Uint32Array(data.slice().buffer);
}
