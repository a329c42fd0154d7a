// The one place that says how m4kit starts headless Chromium with WebGPU on SwiftShader (tests/browser, the demo
// e2e test, the benchmarks). Debian's /usr/bin/chromium; never a downloaded browser.
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const WEBGPU_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
];
export const COMMON_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];
export const CHROMIUM_ARGS = [...WEBGPU_ARGS, ...COMMON_ARGS];
