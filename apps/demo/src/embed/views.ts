// The Embed tab around the results, rendered from the store: the model line, the column pickers of the table,
// the buttons and progress bar while a run is under way, the status line, the error box.
import { $, showError } from '../dom';
import { store } from './store';

export function initViews(): void {
  store.watch(['tinyModel'], ({ tinyModel }) => {
    if (tinyModel)
      $('em-model-name').textContent = `shipped tiny model (random weights): ${Object.keys(tinyModel).join(', ')}`;
  });
  store.watch(['table'], ({ table }) => {
    const fill = (id: string, pick: string, none: boolean) => {
      const sel = $(id) as HTMLSelectElement;
      const cols = table?.columns ?? [];
      sel.replaceChildren(...(none && table ? [new Option('(none)', '')] : []), ...cols.map((c) => new Option(c, c)));
      if (table) sel.value = pick;
    };
    fill('em-file-col', table?.guess.file ?? '', false);
    fill('em-caption-col', table?.guess.caption ?? '', true);
    fill('em-attr-col', table?.guess.attribute ?? '', true);
  });
  store.watch(['running'], ({ running }) => {
    ($('em-run') as HTMLButtonElement).disabled = running;
    ($('em-cancel') as HTMLButtonElement).disabled = !running;
    $('em-progress').hidden = !running;
  });
  store.watch(['progress'], ({ progress }) => {
    if (!progress) return;
    const bar = $('em-progress') as HTMLProgressElement;
    bar.max = progress.total;
    bar.value = progress.done;
  });
  store.watch(['status'], ({ status }) => ($('em-status').textContent = status));
  store.watch(['error'], ({ error }) => showError('em-error', error));
}
