// The drawing, rendered from the store: the scene's points in the WebGPU view (or the 2-D Observable Plot scatter
// without WebGPU), the "before / after debiasing" heading, and the query labels placed over the canvas after
// every frame.
import { $ } from '../dom';
import { plotFallback } from './fallback';
import { store } from './store';

function createLabels(): void {
  const box = $('ex-labels');
  box.replaceChildren();
  const { projected, view } = store.get();
  if (!projected?.data.queries || !view) return;
  for (const name of projected.data.queries.names) {
    const s = document.createElement('span');
    s.className = 'qlabel';
    s.textContent = name;
    box.append(s);
  }
  placeLabels();
}

/** Moves each query label to its point's screen position (after every frame: the camera may have moved). */
export function placeLabels(): void {
  const { projected, view, scene } = store.get();
  if (!projected?.data.queries || !view || !scene?.queries) return;
  const P = scene.queries;
  const spans = $('ex-labels').children;
  const m = view.viewProj();
  for (let i = 0; i < spans.length; i++) {
    const [x, y, w] = view.screenOf(P.subarray(i * 3, i * 3 + 3), m);
    const el = spans[i] as HTMLElement;
    el.hidden = w <= 0;
    el.style.transform = `translate(${x.toFixed(1)}px, ${(y - 22).toFixed(1)}px)`;
  }
}

export function initSceneView(): void {
  store.watch(['scene'], ({ scene, view, projected }) => {
    if (!scene || !projected) return;
    $('ex-state').textContent = scene.state === 'after' ? 'after debiasing' : 'before debiasing';
    if (view) view.setPoints(scene.points);
    else plotFallback($('ex-plot'), projected.data, scene.images, scene.queries, scene.state);
    createLabels();
  });
  store.watch(['view'], ({ view }) => {
    if (view) view.onDraw = placeLabels;
  });
}
