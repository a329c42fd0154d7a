// tsup.config.ts
import { copyFileSync, mkdirSync } from "node:fs";
import { defineConfig } from "tsup";
var tsup_config_default = defineConfig({
  entry: { bin: "src/bin.ts" },
  format: ["esm"],
  dts: false,
  clean: true,
  sourcemap: true,
  target: "node20",
  platform: "node",
  banner: { js: "#!/usr/bin/env node" },
  external: ["@m4kit/kernels", "@m4kit/sdk", "commander", "webgpu"],
  // the bundled survey ships in the package (data/, next to dist/) so `npx m4kit balance` works outside the repo
  onSuccess: async () => {
    mkdirSync("data", { recursive: true });
    for (const f of ["kernlab-income.csv", "README.md"]) copyFileSync(`../../data/${f}`, `data/${f}`);
  }
});
export {
  tsup_config_default as default
};
//# sourceMappingURL=data:application/json;base64,ewogICJ2ZXJzaW9uIjogMywKICAic291cmNlcyI6IFsidHN1cC5jb25maWcudHMiXSwKICAic291cmNlc0NvbnRlbnQiOiBbImNvbnN0IF9faW5qZWN0ZWRfZmlsZW5hbWVfXyA9IFwiL3dvcmsvd3Qvb25lMjIvcGFja2FnZXMvY2xpL3RzdXAuY29uZmlnLnRzXCI7Y29uc3QgX19pbmplY3RlZF9kaXJuYW1lX18gPSBcIi93b3JrL3d0L29uZTIyL3BhY2thZ2VzL2NsaVwiO2NvbnN0IF9faW5qZWN0ZWRfaW1wb3J0X21ldGFfdXJsX18gPSBcImZpbGU6Ly8vd29yay93dC9vbmUyMi9wYWNrYWdlcy9jbGkvdHN1cC5jb25maWcudHNcIjtpbXBvcnQgeyBjb3B5RmlsZVN5bmMsIG1rZGlyU3luYyB9IGZyb20gJ25vZGU6ZnMnO1xuaW1wb3J0IHsgZGVmaW5lQ29uZmlnIH0gZnJvbSAndHN1cCc7XG5leHBvcnQgZGVmYXVsdCBkZWZpbmVDb25maWcoe1xuICBlbnRyeTogeyBiaW46ICdzcmMvYmluLnRzJyB9LFxuICBmb3JtYXQ6IFsnZXNtJ10sXG4gIGR0czogZmFsc2UsXG4gIGNsZWFuOiB0cnVlLFxuICBzb3VyY2VtYXA6IHRydWUsXG4gIHRhcmdldDogJ25vZGUyMCcsXG4gIHBsYXRmb3JtOiAnbm9kZScsXG4gIGJhbm5lcjogeyBqczogJyMhL3Vzci9iaW4vZW52IG5vZGUnIH0sXG4gIGV4dGVybmFsOiBbJ0BtNGtpdC9rZXJuZWxzJywgJ0BtNGtpdC9zZGsnLCAnY29tbWFuZGVyJywgJ3dlYmdwdSddLFxuICAvLyB0aGUgYnVuZGxlZCBzdXJ2ZXkgc2hpcHMgaW4gdGhlIHBhY2thZ2UgKGRhdGEvLCBuZXh0IHRvIGRpc3QvKSBzbyBgbnB4IG00a2l0IGJhbGFuY2VgIHdvcmtzIG91dHNpZGUgdGhlIHJlcG9cbiAgb25TdWNjZXNzOiBhc3luYyAoKSA9PiB7XG4gICAgbWtkaXJTeW5jKCdkYXRhJywgeyByZWN1cnNpdmU6IHRydWUgfSk7XG4gICAgZm9yIChjb25zdCBmIG9mIFsna2VybmxhYi1pbmNvbWUuY3N2JywgJ1JFQURNRS5tZCddKSBjb3B5RmlsZVN5bmMoYC4uLy4uL2RhdGEvJHtmfWAsIGBkYXRhLyR7Zn1gKTtcbiAgfSxcbn0pO1xuIl0sCiAgIm1hcHBpbmdzIjogIjtBQUErTixTQUFTLGNBQWMsaUJBQWlCO0FBQ3ZRLFNBQVMsb0JBQW9CO0FBQzdCLElBQU8sc0JBQVEsYUFBYTtBQUFBLEVBQzFCLE9BQU8sRUFBRSxLQUFLLGFBQWE7QUFBQSxFQUMzQixRQUFRLENBQUMsS0FBSztBQUFBLEVBQ2QsS0FBSztBQUFBLEVBQ0wsT0FBTztBQUFBLEVBQ1AsV0FBVztBQUFBLEVBQ1gsUUFBUTtBQUFBLEVBQ1IsVUFBVTtBQUFBLEVBQ1YsUUFBUSxFQUFFLElBQUksc0JBQXNCO0FBQUEsRUFDcEMsVUFBVSxDQUFDLGtCQUFrQixjQUFjLGFBQWEsUUFBUTtBQUFBO0FBQUEsRUFFaEUsV0FBVyxZQUFZO0FBQ3JCLGNBQVUsUUFBUSxFQUFFLFdBQVcsS0FBSyxDQUFDO0FBQ3JDLGVBQVcsS0FBSyxDQUFDLHNCQUFzQixXQUFXLEVBQUcsY0FBYSxjQUFjLENBQUMsSUFBSSxRQUFRLENBQUMsRUFBRTtBQUFBLEVBQ2xHO0FBQ0YsQ0FBQzsiLAogICJuYW1lcyI6IFtdCn0K
