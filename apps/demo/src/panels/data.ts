// Data panel: a file (picker, drop, or the bundled survey) → the worker parses it → column table, preview, and
// the attribute / label pickers.
import bundledUrl from '../../../../data/kernlab-income.csv?url';
import { CancelledError } from '../client';
import { $, cell, headerRow, showError } from '../dom';
import type { LoadResult } from '../protocol';
import { client, store } from '../store';

/** columns and options a table comes with (the bundled survey's run) */
interface Preset {
  attributes?: string[];
  labels?: string[];
  missing?: string;
  eta?: number | 'auto';
}

async function loadBytes(name: string, bytes: ArrayBuffer, preset?: Preset): Promise<void> {
  showError('data-error', null);
  showError('balance-error', null);
  $('results').hidden = true;
  store.set({ last: null, table: null }); // Run stays off until this table is in the worker
  $('data-summary').textContent = `Reading ${name}…`;
  $('data-info').hidden = false;
  ($('run') as HTMLButtonElement).disabled = true;
  try {
    const info = await client.call<LoadResult>({ type: 'load', name, bytes: bytes.slice(0) });
    renderTable(info);
    fillColumnSelects(info, preset);
    store.set({ table: { name, bytes, info } });
  } catch (e) {
    $('data-info').hidden = true;
    store.set({ table: null });
    if (!(e instanceof CancelledError)) showError('data-error', e);
  }
}

function renderTable(info: LoadResult): void {
  const kinds = new Map<string, number>();
  for (const c of info.columns) kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
  $('data-summary').innerHTML = '';
  $('data-summary').append(
    `${info.name}: `,
    Object.assign(document.createElement('strong'), { textContent: String(info.rows) }),
    ' rows, ',
    Object.assign(document.createElement('strong'), { textContent: String(info.columns.length) }),
    ` columns (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')})`,
  );
  $('data-summary').dataset.rows = String(info.rows);
  $('data-summary').dataset.columns = String(info.columns.length);
  const tb = $('columns').querySelector('tbody')!;
  tb.replaceChildren(
    ...info.columns.map((c) => {
      const tr = document.createElement('tr');
      tr.append(
        cell('th', c.name),
        cell('td', c.kind),
        cell('td', c.distinct > 10000 ? '> 10000' : String(c.distinct)),
        cell('td', String(c.missing)),
      );
      tr.dataset.column = c.name;
      tr.dataset.kind = c.kind;
      return tr;
    }),
  );
  $('preview')
    .querySelector('thead')!
    .replaceChildren(headerRow(info.columns.map((c) => c.name)));
  $('preview')
    .querySelector('tbody')!
    .replaceChildren(
      ...info.preview.map((r) => {
        const tr = document.createElement('tr');
        for (const c of info.columns) tr.append(cell('td', r[c.name] ?? ''));
        return tr;
      }),
    );
}

function fillColumnSelects(info: LoadResult, preset?: Preset): void {
  for (const id of ['attributes', 'labels']) {
    const sel = $(id) as HTMLSelectElement;
    const want = new Set((id === 'attributes' ? preset?.attributes : preset?.labels) ?? []);
    sel.replaceChildren(
      ...info.columns.map((c) => {
        const o = new Option(`${c.name} (${c.kind}, ${c.distinct > 10000 ? '>10000' : c.distinct} values)`, c.name);
        o.selected = want.has(c.name);
        return o;
      }),
    );
  }
  if (preset?.missing) ($('missing') as HTMLSelectElement).value = preset.missing;
  if (preset?.eta !== undefined) ($('eta') as HTMLInputElement).value = String(preset.eta);
}

async function loadFile(f: File): Promise<void> {
  if (store.get().busy) return;
  await loadBytes(f.name, await f.arrayBuffer());
}

export function initDataPanel(): void {
  const fileInput = $('file') as HTMLInputElement;
  fileInput.addEventListener('change', () => {
    const f = fileInput.files?.[0];
    if (f) void loadFile(f);
  });
  const drop = $('drop');
  drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      if (!store.get().busy) fileInput.click();
    }
  });
  drop.addEventListener('click', () => !store.get().busy && fileInput.click());
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files?.[0];
    if (f) void loadFile(f);
  });
  $('bundled').addEventListener('click', async () => {
    try {
      const res = await fetch(bundledUrl);
      if (!res.ok) throw new Error(`could not fetch the bundled dataset: HTTP ${res.status}`);
      // the bundled run of `npm start`: SEX vs OCCUPATION, missing rows dropped, η auto
      await loadBytes('kernlab-income.csv', await res.arrayBuffer(), {
        attributes: ['SEX'],
        labels: ['OCCUPATION'],
        missing: 'drop',
        eta: 'auto',
      });
    } catch (e) {
      showError('data-error', e);
    }
  });
  // no new table while a run is under way (its result would be shown for the wrong file)
  store.subscribe((s) => {
    fileInput.disabled = s.busy;
    ($('bundled') as HTMLButtonElement).disabled = s.busy;
    drop.setAttribute('aria-disabled', String(s.busy));
  });
}
