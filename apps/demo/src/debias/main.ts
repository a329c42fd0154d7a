// The Debias tab (debias.html): files in (the bundled example or your own, data.ts), the BA module trained in a
// worker (worker.ts) with progress, cancel and early stopping on validation ABLE, the before / after table per
// attribute beside the CLIP-clip and biased-prompts baselines (results.ts), and the module download (loadable by
// `m4kit debias --module`). Built like the balance panels: the state in one store (store.ts), changed by actions
// (actions.ts), rendered by views (views.ts, results.ts); the worker behind the demo's WorkerClient.
import '../style.css';
import { $, save } from '../dom';
import { cancel, load, probe, train } from './actions';
import { initResults } from './results';
import { store } from './store';
import { initViews } from './views';

initViews();
initResults();
$('db-example').addEventListener('click', () => void load('example'));
$('db-files').addEventListener('submit', (e) => {
  e.preventDefault();
  void load('own');
});
$('db-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void train();
});
$('db-cancel').addEventListener('click', cancel);
$('db-dl-weights').addEventListener('click', () => {
  const r = store.get().result;
  if (r) save(`ba-${r.name}.safetensors`, r.module.weights as BlobPart, 'application/octet-stream');
});
$('db-dl-config').addEventListener('click', () => {
  const r = store.get().result;
  if (r) save(`ba-${r.name}.json`, r.module.config, 'application/json');
});
void probe().then(() => {
  (globalThis as { __debiasReady?: boolean }).__debiasReady = true;
});
