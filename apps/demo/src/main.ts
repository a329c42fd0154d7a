// The demo page: one module per panel (panels/), the state in one store (store.ts), DOM helpers (dom.ts).
//   probe — WebGPU adapter · data — file in, columns · balance — options, run, cancel
//   results — tables, charts, downloads · evaluate — retrieval bias of embeddings
import './style.css';
import { initBalancePanel } from './panels/balance';
import { initDataPanel } from './panels/data';
import { initEvaluatePanel } from './panels/evaluate';
import { initProbePanel, probe } from './panels/probe';
import { initResultsPanel } from './panels/results';

initProbePanel();
initDataPanel();
initBalancePanel();
initResultsPanel();
initEvaluatePanel();
void probe();
(globalThis as { __demoReady?: boolean }).__demoReady = true;
