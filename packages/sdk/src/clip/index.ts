// CLIP encoders (issue #23), runtime-neutral part: config, tokenizer, weights, float64 towers, loadClip.
export type * from './types.js';
export { resolveClipConfig, mlpHidden, CLIP_DEFAULTS, OPENAI_MEAN, OPENAI_STD } from './config.js';
export {
  ClipTokenizer,
  cleanText,
  htmlUnescape,
  bytesToUnicode,
  vocabularyFromMerges,
  vocabularyFromTokenizerJson,
  gunzip,
  type ClipVocabulary,
} from './tokenizer.js';
export { expectedClipTensors, validateClipWeights, openClipWeights, type ClipWeights } from './weights.js';
export { createReferenceTowers, buildReferenceTowers, type ReferenceTowers } from './reference.js';
export { fileSetOf, type ClipFileEntry, type ClipFileSet, type ClipModelFiles } from './files.js';
export {
  loadClip,
  loadClipTokenizer,
  type ClipModel,
  type ClipEmbedOptions,
  type LoadClipOptions,
  type LoadedClipTokenizer,
} from './model.js';
