// WebGPU point sprites with an orbit camera. Each point is one instance of a 6-vertex quad expanded in clip
// space to a fixed pixel radius; the fragment shader cuts a disc (images) or a ring (texts). The view and
// projection matrices come from wgpu-matrix (WebGPU's [0, 1] depth range). Drawing is on demand.
// Presentation: 'canvas' (a WebGPU canvas context, the normal path) or 'readback' (render to an offscreen
// texture, read it back, putImageData on a 2-D canvas): headless Chromium on SwiftShader loses its WebGPU
// instance on the first canvas-context submit, so the e2e test asks for 'readback' (?present=readback).
import { mat4, vec3 } from 'wgpu-matrix';

/** Per point: position (3), radius in CSS px (1), rgba (4), shape (1: 0 disc, 1 ring). */
export const STRIDE = 9;

const shader = /* wgsl */ `
struct U { viewProj: mat4x4f, viewport: vec2f, dpr: f32, pad: f32 };
@group(0) @binding(0) var<uniform> u: U;
struct VOut {
  @builtin(position) pos: vec4f,
  @location(0) uv: vec2f,
  @location(1) color: vec4f,
  @location(2) shape: f32,
};
@vertex
fn vs(@builtin(vertex_index) vi: u32, @location(0) p: vec3f, @location(1) size: f32, @location(2) color: vec4f,
      @location(3) shape: f32) -> VOut {
  var corners = array<vec2f, 6>(vec2f(-1.0, -1.0), vec2f(1.0, -1.0), vec2f(-1.0, 1.0),
                                vec2f(-1.0, 1.0), vec2f(1.0, -1.0), vec2f(1.0, 1.0));
  let c = corners[vi];
  var clip = u.viewProj * vec4f(p, 1.0);
  let off = c * size * u.dpr * 2.0 / u.viewport;
  clip = vec4f(clip.xy + off * clip.w, clip.zw);
  var o: VOut;
  o.pos = clip;
  o.uv = c;
  o.color = color;
  o.shape = shape;
  return o;
}
@fragment
fn fs(i: VOut) -> @location(0) vec4f {
  let d = length(i.uv);
  if (d > 1.0 || (i.shape > 0.5 && d < 0.55)) { discard; }
  let edge = clamp((1.0 - d) * 6.0, 0.0, 1.0);
  let a = i.color.a * edge;
  return vec4f(i.color.rgb * a, a);
}
`;

export interface Camera {
  yaw: number;
  pitch: number;
  distance: number;
  target: [number, number, number];
}

export class PointView {
  private pipeline: GPURenderPipeline;
  private uniform: GPUBuffer;
  private bind: GPUBindGroup;
  private points: GPUBuffer | null = null;
  private count = 0;
  private host: Float32Array = new Float32Array(0);
  private frame = 0;
  camera: Camera = { yaw: 0.6, pitch: 0.35, distance: 3, target: [0, 0, 0] };
  onDraw: (() => void) | null = null;

  private blitting: Promise<void> | null = null;
  private again = false;

  private constructor(
    readonly device: GPUDevice,
    readonly canvas: HTMLCanvasElement,
    private readonly context: GPUCanvasContext | null,
    private readonly ctx2d: CanvasRenderingContext2D | null,
    private readonly format: GPUTextureFormat,
  ) {
    const module = device.createShaderModule({ code: shader, label: 'explorer points' });
    this.pipeline = device.createRenderPipeline({
      layout: 'auto',
      vertex: {
        module,
        entryPoint: 'vs',
        buffers: [
          {
            arrayStride: STRIDE * 4,
            stepMode: 'instance',
            attributes: [
              { shaderLocation: 0, offset: 0, format: 'float32x3' },
              { shaderLocation: 1, offset: 12, format: 'float32' },
              { shaderLocation: 2, offset: 16, format: 'float32x4' },
              { shaderLocation: 3, offset: 32, format: 'float32' },
            ],
          },
        ],
      },
      fragment: {
        module,
        entryPoint: 'fs',
        targets: [
          {
            format,
            blend: {
              color: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha' },
              alpha: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha' },
            },
          },
        ],
      },
      primitive: { topology: 'triangle-list' },
    });
    this.uniform = device.createBuffer({ size: 80, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.bind = device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: this.uniform } }],
    });
  }

  static create(device: GPUDevice, canvas: HTMLCanvasElement, present: 'canvas' | 'readback' = 'canvas'): PointView {
    if (present === 'readback') {
      const ctx2d = canvas.getContext('2d');
      if (!ctx2d) throw new Error('this canvas has no 2-D context');
      return new PointView(device, canvas, null, ctx2d, 'rgba8unorm');
    }
    const context = canvas.getContext('webgpu');
    if (!context) throw new Error('this canvas has no WebGPU context');
    const format = navigator.gpu.getPreferredCanvasFormat();
    context.configure({ device, format, alphaMode: 'premultiplied' });
    return new PointView(device, canvas, context, null, format);
  }

  /** Resolves when the last requested frame is on screen. */
  async whenDrawn(): Promise<void> {
    while (this.frame || this.blitting) {
      if (this.blitting) await this.blitting;
      else await new Promise((r) => requestAnimationFrame(() => r(null)));
    }
    await this.device.queue.onSubmittedWorkDone();
  }

  /** Replace the points (n × STRIDE floats, see STRIDE). */
  setPoints(data: Float32Array): void {
    this.count = data.length / STRIDE;
    this.host = data;
    if (!this.points || this.points.size < data.byteLength) {
      this.points?.destroy();
      this.points = this.device.createBuffer({
        size: Math.max(64, data.byteLength),
        usage: GPUBufferUsage.VERTEX | GPUBufferUsage.COPY_DST,
      });
    }
    this.device.queue.writeBuffer(this.points, 0, data.buffer, data.byteOffset, data.byteLength);
    this.request();
  }

  /** Fit the camera to the points' bounding sphere. */
  fit(): void {
    const n = this.count;
    if (!n) return;
    const c = [0, 0, 0];
    for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) c[k] += this.host[i * STRIDE + k] / n;
    let r = 0;
    for (let i = 0; i < n; i++)
      r = Math.max(
        r,
        Math.hypot(this.host[i * STRIDE] - c[0], this.host[i * STRIDE + 1] - c[1], this.host[i * STRIDE + 2] - c[2]),
      );
    this.camera.target = [c[0], c[1], c[2]];
    this.camera.distance = Math.max(1e-3, r * 2.6);
    this.request();
  }

  rotate(dYaw: number, dPitch: number): void {
    this.camera.yaw += dYaw;
    this.camera.pitch = Math.max(-1.5, Math.min(1.5, this.camera.pitch + dPitch));
    this.request();
  }

  zoom(factor: number): void {
    this.camera.distance = Math.max(1e-4, this.camera.distance * factor);
    this.request();
  }

  viewProj(): Float32Array {
    const { yaw, pitch, distance, target } = this.camera;
    const eye = vec3.add(target, [
      distance * Math.cos(pitch) * Math.sin(yaw),
      distance * Math.sin(pitch),
      distance * Math.cos(pitch) * Math.cos(yaw),
    ]);
    const view = mat4.lookAt(eye, target, [0, 1, 0]);
    const aspect = Math.max(1e-3, this.canvas.width / Math.max(1, this.canvas.height));
    const proj = mat4.perspective((50 * Math.PI) / 180, aspect, distance * 0.01, distance * 10);
    return mat4.multiply(proj, view) as Float32Array;
  }

  /** CSS-pixel position and clip w of point i (w ≤ 0: behind the camera). */
  screenOf(p: ArrayLike<number>, m = this.viewProj()): [number, number, number] {
    const x = m[0] * p[0] + m[4] * p[1] + m[8] * p[2] + m[12];
    const y = m[1] * p[0] + m[5] * p[1] + m[9] * p[2] + m[13];
    const w = m[3] * p[0] + m[7] * p[1] + m[11] * p[2] + m[15];
    const r = this.canvas.getBoundingClientRect();
    return [((x / w + 1) / 2) * r.width, ((1 - y / w) / 2) * r.height, w];
  }

  /** Index of the point under CSS pixel (x, y), or −1. */
  pick(x: number, y: number): number {
    const m = this.viewProj();
    let best = -1;
    let bestD = Infinity;
    for (let i = 0; i < this.count; i++) {
      const o = i * STRIDE;
      if (this.host[o + 7] <= 0.02) continue; // invisible
      const [sx, sy, w] = this.screenOf(this.host.subarray(o, o + 3), m);
      if (w <= 0) continue;
      const d = Math.hypot(sx - x, sy - y);
      if (d <= Math.max(5, this.host[o + 3] + 2) && d < bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  }

  request(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private resize(): [number, number] {
    const dpr = window.devicePixelRatio || 1;
    const r = this.canvas.getBoundingClientRect();
    const w = Math.max(1, Math.round(r.width * dpr));
    const h = Math.max(1, Math.round(r.height * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    return [w, h];
  }

  private encode(enc: GPUCommandEncoder, view: GPUTextureView, w: number, h: number): void {
    const u = new Float32Array(20);
    u.set(this.viewProj(), 0);
    u[16] = w;
    u[17] = h;
    u[18] = window.devicePixelRatio || 1;
    this.device.queue.writeBuffer(this.uniform, 0, u);
    const pass = enc.beginRenderPass({
      colorAttachments: [{ view, clearValue: { r: 1, g: 1, b: 1, a: 1 }, loadOp: 'clear', storeOp: 'store' }],
    });
    if (this.points && this.count) {
      pass.setPipeline(this.pipeline);
      pass.setBindGroup(0, this.bind);
      pass.setVertexBuffer(0, this.points);
      pass.draw(6, this.count);
    }
    pass.end();
  }

  draw(): void {
    if (!this.context) {
      this.blit();
      return;
    }
    const [w, h] = this.resize();
    const enc = this.device.createCommandEncoder({ label: 'explorer frame' });
    this.encode(enc, this.context.getCurrentTexture().createView(), w, h);
    this.device.queue.submit([enc.finish()]);
    this.onDraw?.();
  }

  private blit(): void {
    if (this.blitting) {
      this.again = true;
      return;
    }
    this.blitting = (async () => {
      do {
        this.again = false;
        const { width, height, rgba } = await this.readPixels();
        this.ctx2d!.putImageData(new ImageData(new Uint8ClampedArray(rgba.buffer as ArrayBuffer), width, height), 0, 0);
        this.onDraw?.();
      } while (this.again);
    })().finally(() => {
      this.blitting = null;
    });
  }

  /** Render the current view into an offscreen texture and read it back as RGBA rows (tests, snapshots). */
  async readPixels(): Promise<{ width: number; height: number; rgba: Uint8Array }> {
    const [w, h] = this.resize();
    const tex = this.device.createTexture({
      size: [w, h],
      format: this.format,
      usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC,
    });
    const row = Math.ceil((w * 4) / 256) * 256;
    const buf = this.device.createBuffer({ size: row * h, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    const enc = this.device.createCommandEncoder({ label: 'explorer readback' });
    this.encode(enc, tex.createView(), w, h);
    enc.copyTextureToBuffer({ texture: tex }, { buffer: buf, bytesPerRow: row }, [w, h]);
    this.device.queue.submit([enc.finish()]);
    await buf.mapAsync(GPUMapMode.READ);
    const src = new Uint8Array(buf.getMappedRange());
    const rgba = new Uint8Array(w * h * 4);
    const bgra = this.format.startsWith('bgra');
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const s = y * row + x * 4;
        const d = (y * w + x) * 4;
        rgba[d] = src[s + (bgra ? 2 : 0)];
        rgba[d + 1] = src[s + 1];
        rgba[d + 2] = src[s + (bgra ? 0 : 2)];
        rgba[d + 3] = src[s + 3];
      }
    }
    buf.unmap();
    buf.destroy();
    tex.destroy();
    return { width: w, height: h, rgba };
  }

  destroy(): void {
    this.points?.destroy();
    this.uniform.destroy();
  }
}
