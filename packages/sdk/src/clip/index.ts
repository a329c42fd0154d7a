// CLIP encoders (issue #23), runtime-neutral part: config, tokenizer, loadClip. The towers, the weight checks and
// the tokenizer's text helpers are in `@m4kit/sdk/advanced`.
export type * from './types.js';
export { resolveClipConfig, CLIP_DEFAULTS, OPENAI_MEAN, OPENAI_STD } from './config.js';
export { ClipTokenizer, vocabularyFromMerges, vocabularyFromTokenizerJson, type ClipVocabulary } from './tokenizer.js';
export { fileSetOf, type ClipFileEntry, type ClipFileSet, type ClipModelFiles } from './files.js';
export {
  loadClip,
  loadClipTokenizer,
  type ClipModel,
  type ClipEmbedOptions,
  type LoadClipOptions,
  type LoadedClipTokenizer,
} from './model.js';
