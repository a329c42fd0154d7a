// The page around the drawing, rendered from the store: status line, error box, buttons (busy), the data's
// source, legend and module downloads, the before / after radios, the no-WebGPU notice and the details box.
import { $ } from '../dom';
import { PALETTE } from './fallback';
import type { ExplorerData } from './types';
import { store, type ExplorerState } from './store';

function legend(d: ExplorerData): void {
  const el = $('ex-legend');
  el.replaceChildren();
  d.groupNames.forEach((g, i) => {
    const s = document.createElement('span');
    s.className = 'swatch';
    s.style.setProperty('--c', PALETTE[i % PALETTE.length]);
    s.textContent = g;
    el.append(s);
  });
  const note = document.createElement('span');
  note.className = 'hint';
  note.textContent = d.q
    ? ' · disc size and opacity = keep probability q · rings = captions · black rings = queries'
    : ' · rings = captions · black rings = queries';
  el.append(note);
}

function details({ detail: idx, pinned, scene, projected }: Readonly<ExplorerState>): void {
  const el = $('ex-details');
  if (!scene || !projected || idx < 0) {
    el.replaceChildren();
    const p = document.createElement('p');
    p.className = 'hint';
    p.textContent = 'Hover over a point to see its row; click to pin it.';
    el.append(p);
    return;
  }
  const { kind, row } = scene.kinds[idx];
  const d = projected.data;
  const entries: [string, string][] = [['kind', kind]];
  if (kind === 'query') entries.push(['query', d.queries!.names[row]]);
  else {
    entries.push(['row', String(row)], ['group', d.groupNames[d.group[row]]]);
    if (d.q) entries.push(['q', d.q[row].toFixed(4)]);
    for (const [k, v] of Object.entries(d.rows[row] ?? {})) entries.push([k, v]);
  }
  const t = document.createElement('table');
  t.className = 'grid';
  const cap = document.createElement('caption');
  cap.textContent = pinned === idx ? 'Pinned point' : 'Point under the pointer';
  t.append(cap);
  for (const [k, v] of entries) {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = k;
    const td = document.createElement('td');
    td.textContent = v;
    td.dataset.key = k;
    tr.append(th, td);
    t.append(tr);
  }
  el.replaceChildren(t);
}

export function initViews(): void {
  store.watch(['status'], ({ status }) => ($('ex-status').textContent = status));
  store.watch(['error'], ({ error }) => {
    const el = $('ex-error');
    if (error === null) {
      el.hidden = true;
      return;
    }
    el.textContent = (error as Error)?.message ?? String(error);
    el.hidden = false;
  });
  store.watch(['running'], ({ running }) => {
    ($('ex-cancel') as HTMLButtonElement).disabled = running !== 'example';
    for (const id of ['ex-example', 'ex-load']) ($(id) as HTMLButtonElement).disabled = running !== null;
  });
  // the 2-D fallback, once setup found no WebGPU
  store.watch(['kernels'], ({ kernels, view, gpuReason }) => {
    if (!kernels || view) return;
    $('ex-stage').hidden = true;
    $('ex-plot').hidden = false;
    const fb = $('ex-fallback');
    fb.hidden = false;
    fb.textContent =
      `No WebGPU in this browser (${gpuReason}): showing a 2-D Observable Plot scatter of the first two ` +
      'principal axes instead of the 3-D view; the projection runs on the float64 CPU backend.';
  });
  // new data: its source, legend, downloads and radios, then the camera fitted to it
  store.watch(['projected'], ({ projected, view }) => {
    if (!projected) return;
    const d = projected.data;
    $('ex-source').textContent = d.source;
    $('ex-module').hidden = !d.module;
    ($('ex-after') as HTMLInputElement).disabled = !d.images.after;
    legend(d);
    view?.fit();
    $('ex-view').hidden = false;
  });
  store.watch(['which'], ({ which }) => {
    ($(which === 'after' ? 'ex-after' : 'ex-before') as HTMLInputElement).checked = true;
  });
  store.watch(['metaColumns'], ({ metaColumns }) => {
    for (const sel of ['ex-group', 'ex-q']) {
      ($(sel) as HTMLSelectElement).replaceChildren(
        ...(sel === 'ex-q' ? [new Option('(none: uniform)', '')] : []),
        ...(metaColumns ?? []).map((c) => new Option(c, c)),
      );
    }
  });
  store.watch(['detail', 'pinned', 'scene'], details);
  details(store.get());
}
