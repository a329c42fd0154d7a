// The Embed tab (embed.html): a CLIP model folder + a folder of images (+ a table: file, caption, attributes) →
// image and caption embeddings made in a worker on this GPU (progress, cancel), then retrieval recall@K and bias
// MaxSkew@k / NDKL@k, .npy downloads (the files `m4kit embed` writes) and the explorer. Nothing is uploaded.
// Built like the balance panels: the state in one store (store.ts), changed by actions (actions.ts) from the
// inputs (inputs.ts), rendered by views (views.ts, results.ts); the worker behind the demo's WorkerClient.
import '../style.css';
import { $ } from '../dom';
import { embed, loadTable, loadTiny, openExplorer, TINY } from './actions';
import { files } from './inputs';
import { initResults } from './results';
import { client, store } from './store';
import { initViews } from './views';

initViews();
initResults();
$('em-gpu').textContent =
  'gpu' in navigator
    ? 'WebGPU is available: the towers run on this GPU (or pick the float64 CPU backend).'
    : 'No WebGPU in this browser: choose the float64 CPU backend (slower, same numbers).';
if (!('gpu' in navigator)) ($('em-backend') as HTMLSelectElement).value = 'cpu';
($('em-tiny') as HTMLButtonElement).disabled = Object.keys(TINY).length === 0;
$('em-tiny').addEventListener('click', () => void loadTiny().catch((e) => store.set({ error: e })));
$('em-table').addEventListener('change', () => void loadTable(files('em-table')[0]));
$('em-cancel').addEventListener('click', () => client.cancel());
$('em-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void embed();
});
$('em-explore').addEventListener('click', () => void openExplorer());
(globalThis as { __embed?: unknown }).__embed = { last: () => store.get().last };
(globalThis as { __embedReady?: boolean }).__embedReady = true;
