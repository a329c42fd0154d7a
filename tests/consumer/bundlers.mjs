// Every bundler a Node user has, bundling app/bundle-entry.mjs (the kernels + @m4kit/sdk/node, nothing marked
// external) into one Node app that must then find the same WebGPU adapter as the unbundled consumer and print the
// same balance numbers. The bundlers come from the repo's devDependencies (tests/package.json); the packages they
// bundle are the packed tarballs installed in the consumer folder. Each entry: { name, build(app) → output file }.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const mod = (root, p) => import(pathToFileURL(join(root, 'node_modules', p)).href);

/** CommonJS dependencies inside an ESM bundle call require() for Node built-ins (esbuild, Rollup, Vite). */
const requireBanner = "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

async function webpackBuild(root, app, outputModule) {
  const { default: webpack } = await mod(root, 'webpack/lib/index.js');
  const filename = outputModule ? 'webpack.bundle.mjs' : 'webpack.bundle.cjs';
  const stats = await new Promise((resolve, reject) =>
    webpack(
      {
        mode: 'production',
        target: 'node20',
        context: app,
        entry: './bundle-entry.mjs',
        devtool: false,
        optimization: { minimize: false, splitChunks: false },
        output: {
          path: join(app, 'bundle'),
          filename,
          chunkFormat: outputModule ? 'module' : 'commonjs',
          module: outputModule,
          library: { type: outputModule ? 'module' : 'commonjs2' },
        },
        experiments: { outputModule, topLevelAwait: true },
        resolve: { conditionNames: ['node', 'import', 'require', 'default'] },
        // one file: dynamic imports of the SDK's lazy chunks are inlined
        plugins: [new webpack.optimize.LimitChunkCountPlugin({ maxChunks: 1 })],
      },
      (err, s) => (err ? reject(err) : resolve(s)),
    ),
  );
  if (stats.hasErrors()) throw new Error(`webpack: ${stats.toString({ all: false, errors: true })}`);
  return join('bundle', filename);
}

export const BUNDLERS = [
  {
    name: 'esbuild (ESM)',
    async build(root, app) {
      const { build } = await mod(root, 'esbuild/lib/main.js');
      await build({
        entryPoints: [join(app, 'bundle-entry.mjs')],
        outfile: join(app, 'bundle/esbuild.bundle.mjs'),
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        logLevel: 'error',
        banner: { js: requireBanner },
      });
      return 'bundle/esbuild.bundle.mjs';
    },
  },
  {
    name: 'esbuild (CJS)',
    async build(root, app) {
      const { build } = await mod(root, 'esbuild/lib/main.js');
      // (the ESM builds' `import.meta` is empty in a CJS bundle: @m4kit/kernels/node then resolves webgpu from the
      // entry script and the working directory)
      await build({
        entryPoints: [join(app, 'bundle-entry.mjs')],
        outfile: join(app, 'bundle/esbuild.bundle.cjs'),
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node20',
        logLevel: 'error',
      });
      return 'bundle/esbuild.bundle.cjs';
    },
  },
  { name: 'webpack 5 (target node, ESM output)', build: (root, app) => webpackBuild(root, app, true) },
  { name: 'webpack 5 (target node, CJS output)', build: (root, app) => webpackBuild(root, app, false) },
  {
    name: 'Rollup (node-resolve + commonjs, ESM output)',
    async build(root, app) {
      const { rollup } = await mod(root, 'rollup/dist/es/rollup.js');
      const { default: resolve } = await mod(root, '@rollup/plugin-node-resolve/dist/es/index.js');
      const { default: commonjs } = await mod(root, '@rollup/plugin-commonjs/dist/es/index.js');
      const b = await rollup({
        input: join(app, 'bundle-entry.mjs'),
        plugins: [resolve({ preferBuiltins: true, exportConditions: ['node'] }), commonjs()],
        onwarn: (w, warn) => (['CIRCULAR_DEPENDENCY', 'THIS_IS_UNDEFINED', 'EVAL'].includes(w.code) ? 0 : warn(w)),
      });
      await b.write({
        file: join(app, 'bundle/rollup.bundle.mjs'),
        format: 'es',
        inlineDynamicImports: true,
        banner: requireBanner,
      });
      await b.close();
      return 'bundle/rollup.bundle.mjs';
    },
  },
  {
    name: 'Vite SSR (build --ssr, every dependency bundled)',
    async build(root, app) {
      const { build } = await mod(root, 'vite/dist/node/index.js');
      await build({
        root: app,
        configFile: false,
        logLevel: 'error',
        ssr: { noExternal: true, target: 'node' },
        build: {
          ssr: join(app, 'bundle-entry.mjs'),
          outDir: join(app, 'bundle/vite'),
          emptyOutDir: true,
          minify: false,
          rollupOptions: {
            output: { inlineDynamicImports: true, entryFileNames: 'vite.bundle.mjs', banner: requireBanner },
          },
        },
      });
      return 'bundle/vite/vite.bundle.mjs';
    },
  },
  {
    name: "Bun's bundler (bun build --target node)",
    async build(root, app) {
      const r = spawnSync(
        join(root, 'node_modules/.bin/bun'),
        ['build', 'bundle-entry.mjs', '--target', 'node', '--outfile', 'bundle/bun.bundle.mjs'],
        { cwd: app, encoding: 'utf8' },
      );
      if (r.status !== 0) throw new Error(`bun build exited ${r.status}: ${r.stderr || r.stdout || r.error}`);
      return 'bundle/bun.bundle.mjs';
    },
  },
];
