// The Debias tab around the results, rendered from the store: the WebGPU line (and the CPU backend chosen without
// it), the data summary and column pickers, the buttons while data loads or a run trains, the progress bar and
// line, the validation rows, the error boxes.
import type { DebiasEval } from '@m4kit/sdk';
import { $, cell, fmt, showError } from '../dom';
import { store } from './store';

function evalRow(ev: DebiasEval): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.append(
    cell('th', String(ev.epoch + 1)),
    cell('td', fmt(ev.maxSkew), `evals.${ev.epoch}.maxSkew`, ev.maxSkew),
    cell('td', fmt(ev.top1), `evals.${ev.epoch}.top1`, ev.top1),
    cell('td', fmt(ev.able), `evals.${ev.epoch}.able`, ev.able),
  );
  return tr;
}

export function initViews(): void {
  store.watch(['gpu'], ({ gpu }) => {
    if (!gpu) return;
    $('db-gpu').textContent = gpu.text;
    if (!gpu.ok) ($('db-backend') as HTMLSelectElement).value = 'cpu';
  });
  store.watch(['dataSummary'], ({ dataSummary }) => {
    const s = $('db-data-summary');
    s.textContent = dataSummary ?? '';
    s.hidden = dataSummary === null;
  });
  store.watch(['columns'], ({ columns }) => {
    if (!columns) return;
    const attr = $('db-attributes') as HTMLSelectElement;
    attr.replaceChildren(...columns.names.map((c) => new Option(c, c, false, columns.attributes.includes(c))));
    // the chosen order: the first attribute drives validation
    attr.dataset.order = columns.attributes.join(',');
    const cls = $('db-class') as HTMLSelectElement;
    cls.replaceChildren(...columns.names.map((c) => new Option(c, c, false, c === columns.classColumn)));
  });
  store.watch(['pairs'], ({ pairs }) => {
    if (pairs !== null) ($('db-pairs') as HTMLInputElement).value = pairs;
  });
  store.watch(['running', 'files', 'dataSummary'], ({ running, files, dataSummary }) => {
    ($('db-run') as HTMLButtonElement).disabled = running !== null || !files || dataSummary === null;
    ($('db-cancel') as HTMLButtonElement).disabled = running !== 'training';
    ($('db-example') as HTMLButtonElement).disabled = running !== null;
    ($('db-use-files') as HTMLButtonElement).disabled = running !== null;
  });
  store.watch(['progress'], ({ progress }) => {
    ($('db-progress') as HTMLProgressElement).value = progress.value;
    $('db-progress-text').textContent = progress.text;
  });
  store.watch(['evals'], ({ evals }) => {
    const table = $('db-evals');
    table.hidden = evals.length === 0;
    table.querySelector('tbody')!.replaceChildren(...evals.map(evalRow));
  });
  store.watch(['error'], ({ error }) => showError('db-error', error));
  store.watch(['dataError'], ({ dataError }) => showError('db-data-error', dataError));
}
