/**
 * ORT vs tfjs parity of the student export: every unary op, every binary op (with and without a
 * width mismatch on either side), every stack depth and ratio, the published six-layer
 * architecture (tiny widths and the paper preset's hidden 540), for each export variant. fp32
 * graphs must match the tfjs model (efficientbert/model, inference mode) within 1e-4; int8 graphs
 * within the stated int8 tolerance. Every graph also passes onnx.checker.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { HeadSpec } from '../../../efficientbert/export/head';
import type { ExportOptions } from '../../../efficientbert/export/options';
import { buildStudentOnnx } from '../../../efficientbert/export/student-graph';
import { selectBackend } from '../../../efficientbert/model/backend';
import { publishedArchitecture } from '../../../efficientbert/model/published-arch';
import {
  type Architecture,
  BINARY_OPS,
  type BinaryOp,
  type Expr,
  type LayerArch,
  RATIO_DIVISORS,
  type RatioDivisor,
  STACK_DEPTHS,
  type StackDepth,
  UNARY_OPS,
  type UnaryOp,
} from '../../../efficientbert/space/ast';
import { PRESETS, type StudentConfig } from '../../../efficientbert/space/presets';
import {
  FP32_TOLERANCE,
  INT8_TOLERANCE,
  maxAbsDiff,
  onnxCheckAll,
  ParityLog,
  randomBatch,
  randomWeights,
  runOrt,
  studentShapes,
  tfjsStudent,
} from './harness';

const VARIANTS: Record<string, ExportOptions> = {
  plain: { fused: false, int8: false },
  fused: { fused: true, int8: false },
  'plain-int8': { fused: false, int8: true },
  'fused-int8': { fused: true, int8: true },
};

const x: Expr = { kind: 'x' };
const u = (op: UnaryOp, arg: Expr): Expr => ({ kind: 'unary', op, arg });
const bin = (op: BinaryOp, left: Expr, right: Expr): Expr => ({ kind: 'binary', op, left, right });
const wb1 = (arg: Expr): Expr => ({ kind: 'linear', slot: 'wb1', arg });
const wb2 = (arg: Expr): Expr => ({ kind: 'linear', slot: 'wb2', arg });
const layer = (expr: Expr, stack: StackDepth = 1, ratio: RatioDivisor = 1): LayerArch => ({
  expr,
  stack,
  ratio,
});

/** Tiny preset widths (hidden 64, 2 heads) with a small vocabulary: fast, same op coverage. */
const TINY: StudentConfig = { ...PRESETS.tiny, vocabSize: 300 };
const classifier: HeadSpec = { task: 'cola', kind: 'classification', outputs: 3 };
const regressor: HeadSpec = { task: 'stsb', kind: 'regression', outputs: 1 };

const checked = new Map<string, Uint8Array>();
const log = new ParityLog();

async function assertParity(
  label: string,
  config: StudentConfig,
  arch: Architecture,
  head: HeadSpec = classifier,
  { seq = 11, std = 0.1 } = {},
): Promise<void> {
  const weights = randomWeights(studentShapes(config, arch, head), 17, std);
  const batch = randomBatch(5, 3, seq, config.vocabSize);
  const ref = tfjsStudent(config, arch, head, weights, batch);
  for (const [variant, options] of Object.entries(VARIANTS)) {
    const model = buildStudentOnnx({ config, arch, weights, head, options, exposeHidden: true });
    checked.set(`${label} ${variant}`, model);
    const out = await runOrt(model, batch);
    const tol = options.int8 ? INT8_TOLERANCE : FP32_TOLERANCE;
    const dLogits = maxAbsDiff(out.logits!, ref.logits);
    const dHidden = maxAbsDiff(out.last_hidden_state!, ref.hidden);
    log.record(variant, dLogits, dHidden);
    assert.ok(dLogits <= tol.logits, `${label} ${variant}: logits differ by ${dLogits}`);
    assert.ok(dHidden <= tol.hidden, `${label} ${variant}: hidden states differ by ${dHidden}`);
    if (head.kind === 'classification') {
      assert.equal(out.probabilities!.length, batch.batch * head.outputs);
    } else {
      assert.equal(out.probabilities, undefined);
      assert.equal(out.logits!.length, batch.batch);
    }
  }
}

/** A one-layer (or more) model of the tiny preset running `layers`. */
function tiny(layers: LayerArch[]): [StudentConfig, Architecture] {
  return [{ ...TINY, layers: layers.length }, { layers }];
}

describe('student export parity (ORT vs tfjs)', () => {
  before(async () => {
    await selectBackend('wasm', () => {});
  });

  for (const op of UNARY_OPS) {
    it(`unary ${op}, on the intermediate and on the output width`, async () => {
      await assertParity(
        op,
        ...tiny([
          layer(u(op, wb2(u(op === 'gelu' ? 'relu' : 'gelu', wb1(u(op, x)))))),
          layer(wb2(u(op, wb1(x)))),
        ]),
      );
    });
  }

  for (const op of BINARY_OPS) {
    it(`binary ${op}: equal widths, and a narrower input on either side (slicing)`, async () => {
      await assertParity(
        op,
        ...tiny([
          layer(wb2(u('gelu', wb1(bin(op, x, u('tanh', x)))))),
          // wb1(x) is 64/2 = 32 wide: x is cut to its first 32 channels.
          layer(wb2(u('relu', bin(op, wb1(x), x))), 1, 2),
          // ratio 3: 21 wide on the right, x on the left is cut.
          layer(wb2(bin(op, x, u('sigmoid', wb1(x)))), 1, 3),
        ]),
      );
    });
  }

  it('every stack depth and every ratio', async () => {
    const layers = STACK_DEPTHS.map((stack, i) => layer(wb2(u('gelu', wb1(x))), stack, RATIO_DIVISORS[i]!));
    await assertParity('sizes', ...tiny(layers));
  });

  it('the published architecture at tiny widths, with a regression head', async () => {
    await assertParity('published-tiny', { ...TINY, layers: 6 }, publishedArchitecture(6), regressor);
  });

  it('the published architecture at the paper preset (hidden 540, 12 heads)', async () => {
    // BERT's init scale: N(0, 0.1) kernels at width 540 saturate the pooler and give logits of
    // order 10, where float32 rounding alone reaches 1e-4.
    await assertParity('published-paper', PRESETS.paper, publishedArchitecture(6), classifier, {
      seq: 24,
      std: 0.02,
    });
  });

  it('every exported graph passes onnx.checker', (t) => {
    t.diagnostic(log.summary());
    assert.ok(checked.size >= 4 * (UNARY_OPS.length + BINARY_OPS.length + 3));
    assert.deepEqual(onnxCheckAll(checked), []);
  });
});
