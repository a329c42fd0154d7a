// The embedding explorer page (explorer.html): data in (the synthetic example, or .npy files + a metadata table,
// or the Embed tab's embeddings) → PCA to 3-D with the kernels → WebGPU point sprites (render.ts) with an orbit
// camera, before / after debiasing, query labels, hover / click details. Without WebGPU: a 2-D Observable Plot
// scatter (fallback.ts), and the page says so. Built like the balance panels: the state in one store (store.ts),
// changed by actions (actions.ts) from the inputs (controls.ts), rendered by views (views.ts, scene-view.ts);
// the example trains in a worker (train-worker.ts) behind the demo's WorkerClient.
import '../style.css';
import './explorer.css';
import { run, setup } from './actions';
import { initControls } from './controls';
import { takeHandoff } from './handoff';
import { initSceneView } from './scene-view';
import { store } from './store';
import { installTestHooks } from './test-hooks';
import { initViews } from './views';

// the scene renders before the views that follow new data (the camera fits the points just set)
initSceneView();
initViews();
store.set({ showTexts: (document.getElementById('ex-texts') as HTMLInputElement).checked });
setup()
  .then(() => {
    initControls();
    // from the Embed tab: the embeddings it just made (explorer/handoff.ts)
    if (new URLSearchParams(location.search).get('from') === 'embed') void run(takeHandoff, 'handoff');
    installTestHooks();
  })
  .catch((e) => store.set({ error: e, status: 'setup failed' }));
