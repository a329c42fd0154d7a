// tsup.config.ts
import { build } from "esbuild";
import { defineConfig } from "tsup";
var tsup_config_default = defineConfig({
  entry: { index: "src/index.ts", node: "src/node.ts", options: "src/options-entry.ts" },
  // ESM for import, CommonJS for require (see packages/kernels/tsup.config.ts)
  format: ["esm", "cjs"],
  shims: true,
  // declarations for every entry, `browser` included (the one-file build's types); the GPU* interfaces come from
  // the shim (merging with TypeScript 7's lib.dom or @webgpu/types, never forcing either)
  dts: {
    entry: { index: "src/index.ts", node: "src/node.ts", options: "src/options-entry.ts", browser: "src/browser.ts" },
    banner: '/// <reference path="./webgpu-shim.d.ts" />',
    // `@internal` declarations are left out of the published .d.ts (and of docs/api)
    compilerOptions: { stripInternal: true }
  },
  clean: true,
  sourcemap: true,
  target: "es2022",
  external: ["@m4kit/kernels", "webgpu", /^node:/, /^#/],
  // dist/browser/m4kit.js: the runtime-neutral entry (+ the kernels as `kernels`) with every dependency inside, one
  // ES module for a plain <script type="module"> or a CDN URL (no bundler); the browser builds of csv-parse etc.
  onSuccess: async () => {
    await build({
      entryPoints: ["src/browser.ts"],
      outfile: "dist/browser/m4kit.js",
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      minify: true,
      sourcemap: true,
      legalComments: "eof",
      logLevel: "warning"
    });
  }
});
export {
  tsup_config_default as default
};
//# sourceMappingURL=data:application/json;base64,ewogICJ2ZXJzaW9uIjogMywKICAic291cmNlcyI6IFsidHN1cC5jb25maWcudHMiXSwKICAic291cmNlc0NvbnRlbnQiOiBbImNvbnN0IF9faW5qZWN0ZWRfZmlsZW5hbWVfXyA9IFwiL3dvcmsvd3QvZG9jczI0L3BhY2thZ2VzL3Nkay90c3VwLmNvbmZpZy50c1wiO2NvbnN0IF9faW5qZWN0ZWRfZGlybmFtZV9fID0gXCIvd29yay93dC9kb2NzMjQvcGFja2FnZXMvc2RrXCI7Y29uc3QgX19pbmplY3RlZF9pbXBvcnRfbWV0YV91cmxfXyA9IFwiZmlsZTovLy93b3JrL3d0L2RvY3MyNC9wYWNrYWdlcy9zZGsvdHN1cC5jb25maWcudHNcIjtpbXBvcnQgeyBidWlsZCB9IGZyb20gJ2VzYnVpbGQnO1xuaW1wb3J0IHsgZGVmaW5lQ29uZmlnIH0gZnJvbSAndHN1cCc7XG5leHBvcnQgZGVmYXVsdCBkZWZpbmVDb25maWcoe1xuICBlbnRyeTogeyBpbmRleDogJ3NyYy9pbmRleC50cycsIG5vZGU6ICdzcmMvbm9kZS50cycsIG9wdGlvbnM6ICdzcmMvb3B0aW9ucy1lbnRyeS50cycgfSxcbiAgLy8gRVNNIGZvciBpbXBvcnQsIENvbW1vbkpTIGZvciByZXF1aXJlIChzZWUgcGFja2FnZXMva2VybmVscy90c3VwLmNvbmZpZy50cylcbiAgZm9ybWF0OiBbJ2VzbScsICdjanMnXSxcbiAgc2hpbXM6IHRydWUsXG4gIC8vIGRlY2xhcmF0aW9ucyBmb3IgZXZlcnkgZW50cnksIGBicm93c2VyYCBpbmNsdWRlZCAodGhlIG9uZS1maWxlIGJ1aWxkJ3MgdHlwZXMpOyB0aGUgR1BVKiBpbnRlcmZhY2VzIGNvbWUgZnJvbVxuICAvLyB0aGUgc2hpbSAobWVyZ2luZyB3aXRoIFR5cGVTY3JpcHQgNydzIGxpYi5kb20gb3IgQHdlYmdwdS90eXBlcywgbmV2ZXIgZm9yY2luZyBlaXRoZXIpXG4gIGR0czoge1xuICAgIGVudHJ5OiB7IGluZGV4OiAnc3JjL2luZGV4LnRzJywgbm9kZTogJ3NyYy9ub2RlLnRzJywgb3B0aW9uczogJ3NyYy9vcHRpb25zLWVudHJ5LnRzJywgYnJvd3NlcjogJ3NyYy9icm93c2VyLnRzJyB9LFxuICAgIGJhbm5lcjogJy8vLyA8cmVmZXJlbmNlIHBhdGg9XCIuL3dlYmdwdS1zaGltLmQudHNcIiAvPicsXG4gICAgLy8gYEBpbnRlcm5hbGAgZGVjbGFyYXRpb25zIGFyZSBsZWZ0IG91dCBvZiB0aGUgcHVibGlzaGVkIC5kLnRzIChhbmQgb2YgZG9jcy9hcGkpXG4gICAgY29tcGlsZXJPcHRpb25zOiB7IHN0cmlwSW50ZXJuYWw6IHRydWUgfSxcbiAgfSxcbiAgY2xlYW46IHRydWUsXG4gIHNvdXJjZW1hcDogdHJ1ZSxcbiAgdGFyZ2V0OiAnZXMyMDIyJyxcbiAgZXh0ZXJuYWw6IFsnQG00a2l0L2tlcm5lbHMnLCAnd2ViZ3B1JywgL15ub2RlOi8sIC9eIy9dLFxuICAvLyBkaXN0L2Jyb3dzZXIvbTRraXQuanM6IHRoZSBydW50aW1lLW5ldXRyYWwgZW50cnkgKCsgdGhlIGtlcm5lbHMgYXMgYGtlcm5lbHNgKSB3aXRoIGV2ZXJ5IGRlcGVuZGVuY3kgaW5zaWRlLCBvbmVcbiAgLy8gRVMgbW9kdWxlIGZvciBhIHBsYWluIDxzY3JpcHQgdHlwZT1cIm1vZHVsZVwiPiBvciBhIENETiBVUkwgKG5vIGJ1bmRsZXIpOyB0aGUgYnJvd3NlciBidWlsZHMgb2YgY3N2LXBhcnNlIGV0Yy5cbiAgb25TdWNjZXNzOiBhc3luYyAoKSA9PiB7XG4gICAgYXdhaXQgYnVpbGQoe1xuICAgICAgZW50cnlQb2ludHM6IFsnc3JjL2Jyb3dzZXIudHMnXSxcbiAgICAgIG91dGZpbGU6ICdkaXN0L2Jyb3dzZXIvbTRraXQuanMnLFxuICAgICAgYnVuZGxlOiB0cnVlLFxuICAgICAgZm9ybWF0OiAnZXNtJyxcbiAgICAgIHBsYXRmb3JtOiAnYnJvd3NlcicsXG4gICAgICB0YXJnZXQ6ICdlczIwMjInLFxuICAgICAgbWluaWZ5OiB0cnVlLFxuICAgICAgc291cmNlbWFwOiB0cnVlLFxuICAgICAgbGVnYWxDb21tZW50czogJ2VvZicsXG4gICAgICBsb2dMZXZlbDogJ3dhcm5pbmcnLFxuICAgIH0pO1xuICB9LFxufSk7XG4iXSwKICAibWFwcGluZ3MiOiAiO0FBQWtPLFNBQVMsYUFBYTtBQUN4UCxTQUFTLG9CQUFvQjtBQUM3QixJQUFPLHNCQUFRLGFBQWE7QUFBQSxFQUMxQixPQUFPLEVBQUUsT0FBTyxnQkFBZ0IsTUFBTSxlQUFlLFNBQVMsdUJBQXVCO0FBQUE7QUFBQSxFQUVyRixRQUFRLENBQUMsT0FBTyxLQUFLO0FBQUEsRUFDckIsT0FBTztBQUFBO0FBQUE7QUFBQSxFQUdQLEtBQUs7QUFBQSxJQUNILE9BQU8sRUFBRSxPQUFPLGdCQUFnQixNQUFNLGVBQWUsU0FBUyx3QkFBd0IsU0FBUyxpQkFBaUI7QUFBQSxJQUNoSCxRQUFRO0FBQUE7QUFBQSxJQUVSLGlCQUFpQixFQUFFLGVBQWUsS0FBSztBQUFBLEVBQ3pDO0FBQUEsRUFDQSxPQUFPO0FBQUEsRUFDUCxXQUFXO0FBQUEsRUFDWCxRQUFRO0FBQUEsRUFDUixVQUFVLENBQUMsa0JBQWtCLFVBQVUsVUFBVSxJQUFJO0FBQUE7QUFBQTtBQUFBLEVBR3JELFdBQVcsWUFBWTtBQUNyQixVQUFNLE1BQU07QUFBQSxNQUNWLGFBQWEsQ0FBQyxnQkFBZ0I7QUFBQSxNQUM5QixTQUFTO0FBQUEsTUFDVCxRQUFRO0FBQUEsTUFDUixRQUFRO0FBQUEsTUFDUixVQUFVO0FBQUEsTUFDVixRQUFRO0FBQUEsTUFDUixRQUFRO0FBQUEsTUFDUixXQUFXO0FBQUEsTUFDWCxlQUFlO0FBQUEsTUFDZixVQUFVO0FBQUEsSUFDWixDQUFDO0FBQUEsRUFDSDtBQUNGLENBQUM7IiwKICAibmFtZXMiOiBbXQp9Cg==
