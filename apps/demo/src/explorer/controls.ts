// The explorer's inputs → actions: the canvas (drag to orbit, wheel / keys to zoom and rotate, hover and click
// to see and pin a row), the before / after and captions toggles, the data buttons, the module downloads.
import { $, save } from '../dom';
import { hover, pin, run, setView } from './actions';
import { fromExample, fromFiles, metaColumns } from './sources';
import { client, store } from './store';

function canvasControls(): void {
  const canvas = $('ex-canvas') as HTMLCanvasElement;
  const view = () => store.get().view;
  const pick = (e: PointerEvent) => {
    const r = canvas.getBoundingClientRect();
    return view()!.pick(e.clientX - r.left, e.clientY - r.top);
  };
  let drag: { x: number; y: number } | null = null;
  canvas.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX, y: e.clientY };
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener('pointerup', (e) => {
    if (drag && Math.hypot(e.clientX - drag.x, e.clientY - drag.y) < 3 && view()) pin(pick(e));
    drag = null;
  });
  canvas.addEventListener('pointermove', (e) => {
    const v = view();
    if (!v) return;
    if (drag && e.buttons) {
      v.rotate((e.clientX - drag.x) * 0.01, (e.clientY - drag.y) * 0.01);
      drag = { x: e.clientX, y: e.clientY };
      return;
    }
    hover(pick(e));
  });
  canvas.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      view()?.zoom(Math.exp(e.deltaY * 0.001));
    },
    { passive: false },
  );
  canvas.addEventListener('keydown', (e) => {
    const step = 0.1;
    const act: Record<string, () => void> = {
      ArrowLeft: () => view()?.rotate(-step, 0),
      ArrowRight: () => view()?.rotate(step, 0),
      ArrowUp: () => view()?.rotate(0, step),
      ArrowDown: () => view()?.rotate(0, -step),
      '+': () => view()?.zoom(0.9),
      '=': () => view()?.zoom(0.9),
      '-': () => view()?.zoom(1.1),
    };
    if (act[e.key]) {
      e.preventDefault();
      act[e.key]();
    }
  });
}

export function initControls(): void {
  canvasControls();
  for (const id of ['ex-before', 'ex-after']) {
    $(id).addEventListener('change', () =>
      setView({ which: ($('ex-after') as HTMLInputElement).checked ? 'after' : 'before' }),
    );
  }
  $('ex-texts').addEventListener('change', () => setView({ showTexts: ($('ex-texts') as HTMLInputElement).checked }));
  $('ex-example').addEventListener('click', () => void run(fromExample, 'example'));
  $('ex-cancel').addEventListener('click', () => client.cancel());
  $('ex-meta').addEventListener('change', async () => {
    const f = ($('ex-meta') as HTMLInputElement).files?.[0];
    if (!f) return;
    try {
      store.set({ metaColumns: await metaColumns(f), error: null });
    } catch (e) {
      store.set({ error: e });
    }
  });
  const module = () => store.get().projected?.data.module;
  $('ex-dl-weights').addEventListener('click', () => {
    const m = module();
    if (m) save(`${m.name}.safetensors`, m.weights as BlobPart, 'application/octet-stream');
  });
  $('ex-dl-config').addEventListener('click', () => {
    const m = module();
    if (m) save(`${m.name}.json`, m.config, 'application/json');
  });
  $('ex-files').addEventListener('submit', (e) => {
    e.preventDefault();
    void run(fromFiles, 'files');
  });
}
