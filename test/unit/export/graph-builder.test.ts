import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, MS_DOMAIN } from '../../../efficientbert/export/graph-builder';

function decode(bytes: Uint8Array): onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

describe('GraphBuilder', () => {
  it('writes opset 17 and imports com.microsoft only when a node uses it', () => {
    const plain = new GraphBuilder('g');
    const x = plain.input('x', 'float32', ['batch', 4]);
    plain.output(plain.node('Relu', [x]), 'y', 'float32', ['batch', 4]);
    const model = decode(plain.toBytes());
    assert.equal(Number(model.irVersion), 8);
    assert.deepEqual(
      model.opsetImport.map((o) => [o.domain, Number(o.version)]),
      [['', 17]],
    );
    assert.deepEqual(
      model.graph!.input![0]!.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue)),
      ['batch', 4],
    );

    const fused = new GraphBuilder('g');
    const y = fused.input('x', 'float32', [2]);
    fused.output(fused.node('FastGelu', [y], {}, { domain: MS_DOMAIN }), 'y', 'float32', [2]);
    assert.deepEqual(
      decode(fused.toBytes()).opsetImport.map((o) => o.domain),
      ['', MS_DOMAIN],
    );
  });

  it('gives every node output a fresh name and shares equal constants', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [3]);
    const a = b.node('Add', [x, b.float(1)]);
    const c = b.node('Add', [a, b.float(1)]);
    assert.notEqual(a, c);
    assert.equal(b.ints([1, 2]), b.ints([1, 2]));
    assert.notEqual(b.ints([1]), b.ints([1], true));
    b.output(c, 'y', 'float32', [3]);
    const graph = decode(b.toBytes()).graph!;
    assert.equal(graph.initializer!.filter((t) => t.dataType === onnx.TensorProto.DataType.FLOAT).length, 1);
    assert.equal(new Set(graph.node!.map((n) => n.name)).size, graph.node!.length);
  });

  it('rejects an initializer whose data does not fit its shape, and reused names', () => {
    const b = new GraphBuilder('g');
    assert.throws(() => b.floatInit('w', [2, 3], new Float32Array(5)), /needs 6 values, got 5/);
    b.floatInit('w', [2], new Float32Array(2));
    assert.throws(() => b.floatInit('w', [2], new Float32Array(2)), /already used/);
  });

  it('builds a graph ONNX Runtime runs, with int8 initializers and multi-output nodes', async () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['batch', 2]);
    const w = b.int8Init('w', [2, 2], Int8Array.of(1, -2, 3, 4));
    const [xq, scale, zero] = b.nodeN('DynamicQuantizeLinear', [x], {}, { outputs: 3 });
    const acc = b.node('MatMulInteger', [xq!, w, zero!]);
    const y = b.node('Mul', [b.node('Cast', [acc], { to: { int: 1 } }), scale!]);
    b.output(y, 'y', 'float32', ['batch', 2]);
    const session = await ort.InferenceSession.create(b.toBytes());
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(0.5, 1, -1, 2), [2, 2]) });
    // x·w with w = [[1, −2], [3, 4]], up to activation quantization error.
    const want = [3.5, 3, 5, 10];
    for (const [i, v] of (out.y!.data as Float32Array).entries()) {
      assert.ok(Math.abs(v - want[i]!) < 0.05, `${v} vs ${want[i]}`);
    }
    await session.release();
  });
});
