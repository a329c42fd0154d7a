// The Embed tab's inputs → the worker's request: the model folder (yours, or the shipped tiny model), the images
// (a folder or several files, matched by base name), and the rows in table order (or the images sorted by name
// without a table); every table row must name a chosen image, every caption must be non-empty.
import { $ } from '../dom';
import type { EmbedRequest } from './protocol';
import { store } from './store';

const IMAGE_EXT = /\.(png|jpe?g|webp|gif|bmp|avif)$/i;

export const files = (id: string) => Array.from(($(id) as HTMLInputElement).files ?? []);
const base = (f: File) => (f.webkitRelativePath || f.name).split('/').pop()!;

function modelFiles(): Record<string, Blob> {
  const own = [...files('em-model'), ...files('em-model-dir')];
  if (own.length) return Object.fromEntries(own.map((f) => [base(f), f]));
  const tiny = store.get().tinyModel;
  if (tiny) return tiny;
  throw new Error('choose a model folder (open_clip_config.json, *.safetensors, tokenizer) or the shipped tiny model');
}

function imageFiles(): Map<string, File> {
  const m = new Map<string, File>();
  for (const f of [...files('em-images'), ...files('em-images-dir')]) if (IMAGE_EXT.test(f.name)) m.set(base(f), f);
  if (m.size === 0) throw new Error('choose the images (a folder, or several image files)');
  return m;
}

type Plan = Omit<EmbedRequest, 'type' | 'model' | 'backend' | 'batch'> & { rows: Record<string, string>[] };

function plan(): Plan {
  const imgs = imageFiles();
  const table = store.get().table;
  if (!table) {
    const names = [...imgs.keys()].sort();
    return {
      images: names.map((n) => ({ name: n, blob: imgs.get(n)! })),
      captions: null,
      attribute: null,
      rows: names.map((n) => ({ file: n })),
    };
  }
  const col = (id: string) => ($(id) as HTMLSelectElement).value;
  const [fileCol, capCol, attrCol] = [col('em-file-col'), col('em-caption-col'), col('em-attr-col')];
  if (!fileCol) throw new Error(`${table.name}: choose the column holding the image file names`);
  const rows = table.rows.map((r) =>
    Object.fromEntries(table.columns.map((c) => [c, r[c] == null ? '' : String(r[c])])),
  );
  const images = rows.map((r, i) => {
    const f = imgs.get(r[fileCol]!.split(/[\\/]/).pop()!);
    if (!f) throw new Error(`${table.name}, row ${i + 1}, column "${fileCol}": no image "${r[fileCol]}" was chosen`);
    return { name: f.name, blob: f as Blob };
  });
  const captions = capCol ? rows.map((r) => r[capCol]!) : null;
  captions?.forEach((c, i) => {
    if (!c.trim()) throw new Error(`${table.name}, row ${i + 1}, column "${capCol}": empty caption`);
  });
  const attribute = attrCol ? { name: attrCol, values: rows.map((r) => r[attrCol] || 'NA') } : null;
  return { images, captions, attribute, rows };
}

/** The request and the rows it embeds (for the results and the explorer). */
export function request(): { req: EmbedRequest; rows: Record<string, string>[] } {
  const p = plan();
  const req: EmbedRequest = {
    type: 'embed',
    model: modelFiles(),
    images: p.images,
    captions: p.captions,
    attribute: p.attribute,
    backend: ($('em-backend') as HTMLSelectElement).value as 'webgpu' | 'cpu',
    // passed as typed: the SDK's option check (clip/images.ts) refuses a blank, 0 or fractional batch by name
    batch: Number(($('em-batch') as HTMLInputElement).value),
  };
  return { req, rows: p.rows };
}
