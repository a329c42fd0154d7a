import { defineConfig } from 'vite';

// The demo is a static site: `vite build` → dist/, `vite preview` serves it (npm run demo at the root).
export default defineConfig({
  base: './',
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    sourcemap: false,
    // four pages: balancing (index.html), debiasing (debias.html), the embedding explorer (explorer.html) and CLIP
    // embedding of images and captions (embed.html)
    rollupOptions: {
      input: { main: 'index.html', debias: 'debias.html', explorer: 'explorer.html', embed: 'embed.html' },
    },
  },
  worker: { format: 'es' },
  server: { fs: { allow: ['../..'] } },
  preview: { host: '127.0.0.1', port: 4173, strictPort: false },
});
