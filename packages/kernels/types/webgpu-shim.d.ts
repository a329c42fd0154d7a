// The WebGPU (and DOM) names m4kit's published declarations use, as empty global interfaces. Interfaces merge: with
// TypeScript >= 7 (whose lib.dom declares WebGPU) or @webgpu/types installed they are the full declarations; with
// neither they stay opaque and the declarations still type-check. Never `/// <reference types="@webgpu/types" />`,
// which duplicates TypeScript 7's lib.dom (#24: "Duplicate identifier 'GPUCommandBufferDescriptor'").
/* eslint-disable @typescript-eslint/no-empty-object-type */
interface GPU {}
interface GPUAdapter {}
interface GPUAdapterInfo {}
interface GPUBindGroupLayoutEntry {}
interface GPUBuffer {}
interface GPUBufferBinding {}
interface GPUCommandEncoder {}
interface GPUComputePipeline {}
interface GPUDevice {}
interface GPUSupportedLimits {}
// DOM names in the SDK's image input types (a Node app without the DOM lib sees them opaque)
interface ImageBitmap {}
