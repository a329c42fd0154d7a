// m4kit embed: a CLIP model folder + images (a folder, or a list file) or captions (one a line) → an .npy of
// features, rows in input order, L2-normalised unless --no-normalize. Inputs are listed and checked and the output
// path is checked before the model loads; the .npy is written once at the end, atomically (Ctrl-C: bin.ts exits 130
// and removes the temp file of a write in progress, so no half-written output is left).
import { init } from '@m4kit/kernels';
import { DataError, loadClip, writeNpy } from '@m4kit/sdk/node';
import cliProgress from 'cli-progress';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { checkOutputPaths, UsageError } from './guard.js';

export interface EmbedCliOptions {
  model: string;
  images?: string;
  texts?: string;
  out: string;
  normalize: boolean;
  batch?: number;
  backend: 'auto' | 'webgpu' | 'cpu';
  precision: 'auto' | 'f32' | 'f16';
  skipBad?: boolean;
  json?: boolean;
}

/** Extensions listed from an --images folder (other files are counted and reported, not read). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp'];

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Lines of a UTF-8 text file: CRLF or LF, a final newline ignored, a BOM dropped; blank lines refused by number. */
function lines(file: string, what: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const out = text.split(/\r?\n/);
  if (out.length && out[out.length - 1] === '') out.pop();
  out.forEach((l, i) => {
    if (l.trim() === '')
      throw new DataError(`${what} line ${i + 1} is empty (one ${what === 'caption' ? 'caption' : 'path'} a line)`, {
        file,
      });
  });
  return out;
}

/** The image paths --images names: a folder's image files sorted by name, or a list file's paths. */
export function listImages(arg: string): { paths: string[]; ignored: string[]; source: 'folder' | 'list' } {
  const st = statSync(arg, { throwIfNoEntry: false });
  if (!st) throw new DataError('not found (give a folder of images or a text file of paths)', { file: arg });
  if (st.isDirectory()) {
    const names = readdirSync(arg).sort(byName);
    const paths: string[] = [];
    const ignored: string[] = [];
    for (const n of names) {
      const p = join(arg, n);
      if (IMAGE_EXTENSIONS.includes(extname(n).toLowerCase()) && statSync(p).isFile()) paths.push(p);
      else if (!n.startsWith('.')) ignored.push(n);
    }
    if (paths.length === 0)
      throw new DataError(`no image files (${IMAGE_EXTENSIONS.join(' ')}) in this folder`, { file: arg });
    return { paths, ignored, source: 'folder' };
  }
  const base = dirname(arg);
  const paths = lines(arg, 'path').map((l) => resolve(base, l.trim()));
  if (paths.length === 0) throw new DataError('the list of image paths is empty', { file: arg });
  return { paths, ignored: [], source: 'list' };
}

export function readCaptions(file: string): string[] {
  if (!statSync(file, { throwIfNoEntry: false })?.isFile())
    throw new DataError('not found (give a UTF-8 text file, one caption a line)', { file });
  const out = lines(file, 'caption');
  if (out.length === 0) throw new DataError('no captions in this file', { file });
  return out;
}

export async function runEmbed(o: EmbedCliOptions): Promise<void> {
  if (!o.images === !o.texts) throw new UsageError('give exactly one of --images and --texts');
  checkOutputPaths({ '--images': o.images, '--texts': o.texts }, { '--out': o.out });
  if (o.batch !== undefined && !(Number.isInteger(o.batch) && o.batch >= 1))
    throw new UsageError(`--batch must be an integer ≥ 1, got ${o.batch}`);
  if (extname(o.out).toLowerCase() !== '.npy') throw new UsageError(`--out ${o.out}: embeddings are written as .npy`);
  const t0 = performance.now();
  const images = o.images ? listImages(o.images) : null;
  const texts = o.texts ? readCaptions(o.texts) : null;
  const outAbs = resolve(o.out);
  if (images?.paths.some((p) => resolve(p) === outAbs))
    throw new UsageError(`--out ${o.out} is one of the --images inputs: choose another path`);
  const total = images ? images.paths.length : texts!.length;

  const k = await init({
    backend: o.backend,
    onFallback: (why) => console.error(`m4kit: no WebGPU adapter (${why}); embedding on the float64 CPU backend`),
  });
  const bar =
    !o.json && process.stderr.isTTY
      ? new cliProgress.SingleBar(
          {
            format: `embed ${images ? 'images' : 'texts'} [{bar}] {value}/{total} {eta_formatted}`,
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  try {
    const model = await loadClip(o.model, {
      kernels: k,
      precision: o.precision,
      towers: images ? { image: true, text: false } : { image: false, text: true },
    });
    bar?.start(total, 0);
    const common = {
      normalize: o.normalize,
      batch: o.batch,
      onProgress: (done: number) => bar?.update(done),
    };
    let skipped: { index: number; file: string; reason: string }[] = [];
    let emb: { n: number; d: number; data: Float32Array | Float64Array };
    if (images) {
      const r = await model.embedImages(images.paths, { ...common, skipBad: o.skipBad });
      skipped = r.skipped.map((s) => ({ index: s.index, file: s.label, reason: s.reason }));
      emb = r;
    } else {
      emb = await model.embedTexts(texts!, common);
    }
    bar?.stop();
    await writeNpy(o.out, emb);
    const report = {
      out: o.out,
      rows: emb.n,
      dim: emb.d,
      inputs: images ? { images: o.images, kind: images.source, count: total } : { texts: o.texts, count: total },
      normalized: o.normalize,
      model: { folder: o.model, ...model.files },
      backend: model.backend,
      precision: model.precision,
      skipped,
      ignoredFiles: images?.ignored ?? [],
      timeMs: Math.round(performance.now() - t0),
    };
    model.dispose();
    if (o.json) console.log(JSON.stringify(report, null, 2));
    else {
      console.log(
        `m4kit embed — ${emb.n} ${images ? 'images' : 'captions'} × ${emb.d} dims on ${report.backend} ` +
          `(${report.precision}) in ${(report.timeMs / 1000).toFixed(1)} s → ${o.out}` +
          (o.normalize ? ' (L2-normalised)' : ' (not normalised)'),
      );
      if (skipped.length) {
        console.log(`skipped ${skipped.length} undecodable image(s) (--skip-bad): their rows are left out`);
        for (const s of skipped) console.log(`  ${s.reason}`);
      }
      if (images?.ignored.length)
        console.log(`ignored ${images.ignored.length} non-image file(s) in ${o.images}: ${images.ignored.join(', ')}`);
    }
  } finally {
    bar?.stop();
    k.destroy();
  }
}
