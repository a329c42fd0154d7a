// A one-node ONNX model `C = MatMul(A, B)` with static f32 shapes, encoded by hand (protobuf wire format),
// so the ONNX Runtime peers need no model file and no protobuf dependency.
const enc = new TextEncoder();

function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}
const key = (field, wire) => varint((field << 3) | wire);
const vint = (field, n) => [...key(field, 0), ...varint(n)];
const bytes = (field, b) => [...key(field, 2), ...varint(b.length), ...b];
const str = (field, s) => bytes(field, [...enc.encode(s)]);

function valueInfo(name, dims) {
  const shape = dims.flatMap((d) => bytes(1, vint(1, d))); // TensorShapeProto.dim { dim_value }
  const tensorType = [...vint(1, 1 /* FLOAT */), ...bytes(2, shape)];
  const type = bytes(1, tensorType); // TypeProto.tensor_type
  return [...str(1, name), ...bytes(2, type)];
}

/** ModelProto bytes for C[M,N] = A[M,K] · B[K,N] (opset 13, IR 8). */
export function matmulModel(M, K, N) {
  const node = [...str(1, 'A'), ...str(1, 'B'), ...str(2, 'C'), ...str(3, 'matmul'), ...str(4, 'MatMul')];
  const graph = [
    ...bytes(1, node),
    ...str(2, 'mm'),
    ...bytes(11, valueInfo('A', [M, K])),
    ...bytes(11, valueInfo('B', [K, N])),
    ...bytes(12, valueInfo('C', [M, N])),
  ];
  const opset = [...str(1, ''), ...vint(2, 13)];
  const model = [...vint(1, 8), ...str(2, 'm4kit-bench'), ...bytes(7, graph), ...bytes(8, opset)];
  return new Uint8Array(model);
}
