// Images in (issue #23): decoders, EXIF orientation, open_clip's preprocessing plan.
export type { RgbaImage, ImageBytes } from './types.js';
export {
  decodeImage,
  decodeBytes,
  bitmapToRgba,
  sniffImageFormat,
  platformDecodes,
  setImageFileReader,
  imageLabel,
  type ImageFormat,
  type ImageInput,
  type DecodeOptions,
} from './decode.js';
export { exifOrientation, applyOrientation } from './exif.js';
