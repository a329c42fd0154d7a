// For the e2e test (tests/e2e/explorer.e2e.mjs): rotate and pick without synthesising pointer events, read the
// rendered pixels, the camera and the rows on show — all read from the store.
import { store } from './store';

export function installTestHooks(): void {
  const view = () => store.get().view;
  (globalThis as unknown as { __explorer: unknown }).__explorer = {
    rotate: (a: number, b: number) => view()?.rotate(a, b),
    drawn: () => view()?.whenDrawn(),
    /** pixel census of the rendered view (offscreen render + readback): drawn pixels, blue- and orange-ish ones */
    census: async () => {
      const v = view();
      if (!v) return null;
      const { rgba, width, height } = await v.readPixels();
      let ink = 0;
      let blue = 0;
      let orange = 0;
      for (let i = 0; i < rgba.length; i += 4) {
        const [r, g, b] = [rgba[i], rgba[i + 1], rgba[i + 2]];
        if (r < 245 || g < 245 || b < 245) ink++;
        if (b > r + 40 && b > g + 20) blue++;
        if (r > b + 40 && r > g + 20) orange++;
      }
      return { ink, blue, orange, total: width * height };
    },
    camera: () => view()?.camera,
    which: () => store.get().which,
    count: () => store.get().scene?.kinds.length ?? 0,
    /** raw and debiased embedding of image row i (for comparing a downloaded module with the page) */
    imageRow: (i: number) => {
      const d = store.get().projected?.data;
      if (!d) return null;
      const at = (x: Float32Array | undefined) => (x ? Array.from(x.subarray(i * d.D, (i + 1) * d.D)) : null);
      return { before: at(d.images.before), after: at(d.images.after) };
    },
    /** CSS-pixel position of image row i in the current state */
    screenOfImage: (i: number) => {
      const { scene } = store.get();
      const v = view();
      if (!v || !scene) return null;
      const idx = scene.kinds.findIndex((k) => k.kind === 'image' && k.row === i);
      return v
        .screenOf(scene.images.subarray(i * 3, i * 3 + 3))
        .slice(0, 2)
        .concat(idx);
    },
  };
}
