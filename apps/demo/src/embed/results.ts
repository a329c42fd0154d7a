// The Embed tab's results, rendered from the store's last run: the summary line, retrieval recall@K and bias
// MaxSkew@k / NDKL@k (cells keyed for the e2e test), and the .npy downloads (the files `m4kit embed` writes).
import { $, cell, fmt, headerRow, save } from '../dom';
import { store, type EmbedDone } from './store';

/** a float32 [n, d] .npy (the format `m4kit embed` writes) */
function npy(data: Float32Array, n: number, d: number): Uint8Array<ArrayBuffer> {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, ${d}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

function render({ result: r, names }: EmbedDone): void {
  const n = names.length;
  $('em-results').hidden = false;
  const s = $('em-summary');
  s.textContent =
    `${n} images × ${r.dim} dims on ${r.backend} (${r.precision})` +
    (r.captions ? `, ${n} captions` : '') +
    ` in ${(r.timeMs / 1000).toFixed(1)} s; weights ${r.modelFiles.weights.split(/[\\/]/).pop()}.`;
  s.dataset.rows = String(n);
  s.dataset.dim = String(r.dim);
  const tb = $('em-metrics').querySelector('tbody')!;
  const rows: HTMLTableRowElement[] = [];
  const add = (label: string, key: string, v: number) => {
    const tr = document.createElement('tr');
    tr.append(cell('th', label), cell('td', fmt(v), key, v));
    rows.push(tr);
  };
  if (r.retrieval)
    for (const K of ['R@1', 'R@5', 'R@10']) {
      add(`image→text ${K}`, `retrieval.imageToText.${K}`, r.retrieval.imageToText[K]!);
      add(`text→image ${K}`, `retrieval.textToImage.${K}`, r.retrieval.textToImage[K]!);
    }
  if (r.bias) {
    add(`MaxSkew@${r.bias.k} (${r.bias.attribute})`, 'bias.maxSkew', r.bias.maxSkew);
    add(`NDKL@${r.bias.k} (${r.bias.attribute})`, 'bias.ndkl', r.bias.ndkl);
  }
  tb.replaceChildren(...rows);
  $('em-metrics')
    .querySelector('thead')!
    .replaceChildren(headerRow(['measure', 'value']));
  $('em-metrics').hidden = rows.length === 0;
  ($('em-dl-captions') as HTMLButtonElement).disabled = !r.captions;
  ($('em-explore') as HTMLButtonElement).disabled = false;
}

export function initResults(): void {
  store.watch(['last'], ({ last }) => {
    if (last) render(last);
    else $('em-results').hidden = true;
  });
  $('em-dl-images').addEventListener('click', () => {
    const last = store.get().last;
    if (last)
      save('images.npy', npy(last.result.images, last.names.length, last.result.dim), 'application/octet-stream');
  });
  $('em-dl-captions').addEventListener('click', () => {
    const last = store.get().last;
    if (last?.result.captions)
      save('captions.npy', npy(last.result.captions, last.names.length, last.result.dim), 'application/octet-stream');
  });
}
