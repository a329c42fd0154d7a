// Images in: bytes, Blobs, ImageBitmaps or (Node/Deno) paths → RGBA8 with EXIF orientation applied.
// PNG is decoded by fast-png everywhere (alpha dropped exactly as PIL does, 16-bit identical on every runtime); JPEG
// by the platform where it decodes (browsers: createImageBitmap + OffscreenCanvas, libjpeg-turbo like PIL) and by
// jpeg-js in Node and Deno; WebP, GIF, BMP and AVIF only where the platform decodes them. Anything else is refused by
// name; an undecodable file is a DataError naming it.
import { DataError } from '../../io/errors.js';
import { exifOrientation, applyOrientation } from './exif.js';
import type { RgbaImage } from './types.js';

/**
 * An image container format, as sniffed from the leading bytes.
 */
export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif' | 'bmp' | 'tiff' | 'avif' | 'heic' | 'unknown';

/** Anything `decodeImage` / `embedImages` take: a path (Node/Deno), encoded bytes, a Blob or an ImageBitmap. */
export type ImageInput = string | Uint8Array | ArrayBuffer | Blob | ImageBitmap | RgbaImage;

/**
 * Options of image decoding: which decoders may be used.
 */
export interface DecodeOptions {
  /**
   * 'auto' (default): PNG with fast-png, other formats with the platform where it decodes (browsers), JPEG with
   * jpeg-js elsewhere; 'js': never the platform (the same pixels on every runtime; WebP etc. refused).
   */
  decoder?: 'auto' | 'js';
}

/**
 * The format of encoded bytes, from their signature.
 * @param b - the first bytes of the file (12 suffice).
 * @returns the format, or 'unknown'.
 */
export function sniffImageFormat(b: Uint8Array): ImageFormat {
  const at = (o: number, s: string) => [...s].every((c, i) => b[o + i] === c.charCodeAt(0));
  if (b.length >= 8 && b[0] === 0x89 && at(1, 'PNG\r\n\x1a\n')) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 12 && at(0, 'RIFF') && at(8, 'WEBP')) return 'webp';
  if (at(0, 'GIF8')) return 'gif';
  if (at(0, 'BM')) return 'bmp';
  if (at(0, 'II*\0') || at(0, 'MM\0*')) return 'tiff';
  if (b.length >= 12 && at(4, 'ftyp')) {
    const brand = String.fromCharCode(...b.subarray(8, 12));
    if (brand.startsWith('avi')) return 'avif';
    if (brand.startsWith('hei') || brand.startsWith('mif')) return 'heic';
  }
  return 'unknown';
}

let platform: boolean | undefined;

/**
 * True where createImageBitmap exists and an OffscreenCanvas has a 2D context to read pixels back (browsers and
 * their workers; not Node, and not Deno, whose OffscreenCanvas has only a WebGPU context).
 * @returns whether createImageBitmap + OffscreenCanvas 2D decode images here.
 */
export function platformDecodes(): boolean {
  if (platform === undefined) {
    try {
      platform =
        typeof createImageBitmap === 'function' &&
        typeof OffscreenCanvas === 'function' &&
        new OffscreenCanvas(1, 1).getContext('2d') !== null;
    } catch {
      platform = false;
    }
  }
  return platform;
}

type FileReader = (path: string) => Promise<Uint8Array>;
let readFileBytes: FileReader | null = null;

/**
 * Registered by the Node entry (`@m4kit/sdk/node`): how a path becomes bytes.
 * @param reader - reads a path's bytes.
 */
export function setImageFileReader(reader: FileReader): void {
  readFileBytes = reader;
}

/**
 * A short label for an input in messages: the path, or `image #i (kind)`.
 * @param input - an image input.
 * @param i - its position in the list.
 * @returns the label.
 */
export function imageLabel(input: ImageInput, i: number): string {
  if (typeof input === 'string') return input;
  const kind =
    input instanceof Uint8Array || input instanceof ArrayBuffer
      ? 'bytes'
      : typeof Blob !== 'undefined' && input instanceof Blob
        ? 'name' in input && typeof input.name === 'string'
          ? input.name
          : 'Blob'
        : isRgba(input)
          ? 'pixels'
          : 'ImageBitmap';
  return `image #${i} (${kind})`;
}

function isRgba(x: unknown): x is RgbaImage {
  const o = x as RgbaImage;
  return typeof o === 'object' && o !== null && o.data instanceof Uint8Array && typeof o.width === 'number';
}

/**
 * Decode one input to RGBA8 (EXIF orientation applied). Errors are DataErrors naming `label`.
 * @param input - a path (Node/Deno), bytes, a Blob, an ImageBitmap or RGBA pixels.
 * @param label - names the input in errors.
 * @param opts - the decoder choice.
 * @returns RGBA8 pixels.
 * @throws DataError naming `label` for an unreadable or undecodable input.
 */
export async function decodeImage(input: ImageInput, label: string, opts: DecodeOptions = {}): Promise<RgbaImage> {
  if (typeof input === 'string') {
    if (!readFileBytes)
      throw new DataError('image paths are read in Node and Deno only (import @m4kit/sdk/node); pass bytes or a Blob', {
        file: input,
      });
    return decodeBytes(await readFileBytes(input), label, opts);
  }
  if (input instanceof Uint8Array) return decodeBytes(input, label, opts);
  if (input instanceof ArrayBuffer) return decodeBytes(new Uint8Array(input), label, opts);
  if (typeof Blob !== 'undefined' && input instanceof Blob)
    return decodeBytes(new Uint8Array(await input.arrayBuffer()), label, opts);
  if (isRgba(input)) {
    if (input.data.length !== input.width * input.height * 4 || input.width < 1 || input.height < 1)
      throw new DataError(
        `RGBA pixels of ${input.width}×${input.height} need ${input.width * input.height * 4} bytes`,
        {
          file: label,
        },
      );
    return input;
  }
  if (typeof ImageBitmap !== 'undefined' && input instanceof ImageBitmap) return bitmapToRgba(input, label);
  throw new DataError(`not an image input (a path, bytes, a Blob or an ImageBitmap): ${typeof input}`, {
    file: label,
  });
}

// the decoders (fast-png + fflate ~40 ms, jpeg-js ~5 ms to load in Node) are loaded on the first image, not with
// the package: every command that decodes no image starts without them
let png: Promise<typeof import('./png.js')> | undefined;
let jpeg: Promise<typeof import('./jpeg.js')> | undefined;
const pngDecoder = () => (png ??= import('./png.js'));
const jpegDecoder = () => (jpeg ??= import('./jpeg.js'));

/**
 * Decode encoded bytes to RGBA8 with EXIF orientation applied.
 * @param bytes - the encoded image.
 * @param label - names the input in errors.
 * @param opts - the decoder choice.
 * @returns RGBA8 pixels.
 * @throws DataError naming `label` for an unknown or undecodable format.
 */
export async function decodeBytes(bytes: Uint8Array, label: string, opts: DecodeOptions = {}): Promise<RgbaImage> {
  const format = sniffImageFormat(bytes);
  const fail = (what: string, e?: unknown): never => {
    const why = e instanceof Error ? e.message : e === undefined ? '' : String(e);
    throw new DataError(`${what}${why ? `: ${why}` : ''}`, { file: label });
  };
  const usePlatform = (opts.decoder ?? 'auto') === 'auto' && platformDecodes();
  if (format === 'png') {
    const { decodePngRgba } = await pngDecoder();
    let img: RgbaImage;
    try {
      img = decodePngRgba(bytes);
    } catch (e) {
      return fail('cannot decode this PNG', e);
    }
    return checkSize(applyOrientation(img, exifOrientation(bytes, 'png')), label);
  }
  if (format === 'jpeg' && !usePlatform) {
    const { decodeJpegRgba } = await jpegDecoder();
    let img: RgbaImage;
    try {
      img = decodeJpegRgba(bytes);
    } catch (e) {
      return fail('cannot decode this JPEG', e);
    }
    return checkSize(applyOrientation(img, exifOrientation(bytes, 'jpeg')), label);
  }
  if (format === 'unknown') return fail('not a PNG, JPEG or WebP image (unrecognised signature)');
  if (!usePlatform)
    return fail(
      `${format.toUpperCase()} images are decoded only where the platform decodes them (browsers); ` +
        'convert it to PNG or JPEG',
    );
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]), {
      imageOrientation: 'from-image',
      premultiplyAlpha: 'none',
      colorSpaceConversion: 'none',
    });
  } catch (e) {
    return fail(`cannot decode this ${format.toUpperCase()} (the browser refused it)`, e);
  }
  try {
    return checkSize(bitmapToRgba(bmp, label), label);
  } finally {
    bmp.close();
  }
}

interface Canvas2D {
  drawImage(image: ImageBitmap, dx: number, dy: number): void;
  getImageData(sx: number, sy: number, sw: number, sh: number): { data: Uint8ClampedArray };
}

/**
 * Pixels of an ImageBitmap through an OffscreenCanvas (browsers).
 * @param bmp - an ImageBitmap.
 * @param label - names the input in errors.
 * @returns RGBA8 pixels.
 * @throws DataError outside browsers (no OffscreenCanvas 2D context).
 */
export function bitmapToRgba(bmp: ImageBitmap, label: string): RgbaImage {
  if (!platformDecodes())
    throw new DataError('ImageBitmap inputs need an OffscreenCanvas with a 2D context (browsers); pass bytes instead', {
      file: label,
    });
  const { width, height } = bmp;
  if (width < 1 || height < 1) throw new DataError(`an empty image (${width}×${height})`, { file: label });
  const canvas = new OffscreenCanvas(width, height);
  // typed structurally: Deno's lib declares OffscreenCanvas without a 2-D context (its type check narrows to never)
  const ctx = (canvas as unknown as { getContext(kind: '2d', o: object): Canvas2D | null }).getContext('2d', {
    willReadFrequently: true,
  });
  if (!ctx) throw new DataError('no 2D canvas context to read the ImageBitmap', { file: label });
  ctx.drawImage(bmp, 0, 0);
  const id = ctx.getImageData(0, 0, width, height);
  return { width, height, data: new Uint8Array(id.data.buffer, id.data.byteOffset, id.data.length) };
}

function checkSize(img: RgbaImage, label: string): RgbaImage {
  if (img.width < 1 || img.height < 1)
    throw new DataError(`an empty image (${img.width}×${img.height})`, { file: label });
  return img;
}
