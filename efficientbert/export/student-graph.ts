import type { Architecture, Expr } from '../space/ast';
import { interpret } from '../space/interpret';
import { intermediateWidth, type StudentConfig } from '../space/presets';
import { headWeightShapes, studentWeightShapes } from '../space/weights';
import { AttentionMask, emitSelfAttention } from './attention';
import { declareTextInputs, emitStudentEmbedding } from './embeddings';
import { OnnxExprBackend } from './expr-backend';
import { GraphBuilder } from './graph-builder';
import { emitHead, type HeadSpec } from './head';
import { emitResidualNorm, type NormParams } from './layer-norm';
import { type ExportOptions, STUDENT_LAYER_NORM_EPS } from './options';
import { checkedWeights, type WeightMap, type WeightSource } from './weight-source';

export interface StudentExport {
  readonly config: StudentConfig;
  readonly arch: Architecture;
  /** The candidate's own weights, named and shaped as studentWeightShapes(config, arch) + the head's. */
  readonly weights: WeightMap;
  readonly head: HeadSpec;
  readonly options: ExportOptions;
  /** Also output the last encoder layer as `last_hidden_state` [batch, sequence, hidden] (parity tests). */
  readonly exposeHidden?: boolean;
}

/**
 * The student (any architecture of the space) as a serialized ONNX model: inputs `input_ids`,
 * `attention_mask`, `token_type_ids` (int64 [batch, sequence]), outputs `logits` and, for
 * classification, `probabilities`. `fit_dense` (a distillation-only projection) is not exported.
 */
export function buildStudentOnnx(spec: StudentExport): Uint8Array {
  const { config, arch, head, options } = spec;
  if (arch.layers.length !== config.layers) {
    throw new Error(`export: architecture has ${arch.layers.length} layers, config expects ${config.layers}`);
  }
  const shapes = new Map([
    ...studentWeightShapes(config, arch),
    ...headWeightShapes(config, head.task, head.outputs),
  ]);
  const w = checkedWeights(spec.weights, shapes);
  const h = config.hidden;
  const norm = (name: string): NormParams => ({
    name,
    gamma: w(`${name}.gamma`),
    beta: w(`${name}.beta`),
    eps: STUDENT_LAYER_NORM_EPS,
  });
  const table = (name: string, rows: number, width: number) => ({ name, rows, width, data: w(name) });

  const b = new GraphBuilder('efficientbert_student');
  const inputs = declareTextInputs(b);
  let x = emitStudentEmbedding(
    b,
    inputs,
    {
      words: table('embeddings.word_embeddings', config.vocabSize, config.embed),
      trigram: { kernel: w('embeddings.trigram.kernel'), bias: w('embeddings.trigram.bias') },
      positions: table('embeddings.position_embeddings', config.maxPositions, h),
      tokenTypes: table('embeddings.token_type_embeddings', config.typeVocab, h),
      norm: norm('embeddings.layer_norm'),
      hidden: h,
    },
    options,
  );
  const mask = new AttentionMask(b, inputs.attentionMask);
  arch.layers.forEach((layer, l) => {
    const p = `encoder.${l}.attention`;
    const dense = (m: string) => ({ kernel: w(`${p}.${m}.kernel`), bias: w(`${p}.${m}.bias`) });
    x = emitSelfAttention(
      b,
      x,
      {
        name: p,
        hidden: h,
        heads: config.heads,
        query: dense('query'),
        key: dense('key'),
        value: dense('value'),
        output: dense('output'),
        norm: norm(`${p}.layer_norm`),
      },
      mask,
      options,
    );
    const width = intermediateWidth(config, layer.ratio);
    for (let block = 0; block < layer.stack; block++) {
      x = emitFfnBlock(b, x, w, `encoder.${l}.ffn.${block}`, h, width, layer.expr, norm, options);
    }
  });
  if (spec.exposeHidden) b.output(x, 'last_hidden_state', 'float32', ['batch', 'sequence', h]);
  emitHead(
    b,
    x,
    {
      name: `heads.${head.task}`,
      hidden: h,
      outputs: head.outputs,
      pooler: { kernel: w(`heads.${head.task}.pooler.kernel`), bias: w(`heads.${head.task}.pooler.bias`) },
      classifier: {
        kernel: w(`heads.${head.task}.classifier.kernel`),
        bias: w(`heads.${head.task}.classifier.bias`),
      },
    },
    head.kind,
    options,
  );
  return b.toBytes();
}

/** One stacked FFN block: LayerNorm(x + expr(x)) with the block's own dense1/dense2 (spec §1.3). */
function emitFfnBlock(
  b: GraphBuilder,
  x: string,
  w: WeightSource,
  p: string,
  hidden: number,
  width: number,
  expr: Expr,
  norm: (name: string) => NormParams,
  options: ExportOptions,
): string {
  const backend = new OnnxExprBackend(
    b,
    {
      wb1: {
        name: `${p}.dense1`,
        kernel: w(`${p}.dense1.kernel`),
        bias: w(`${p}.dense1.bias`),
        rows: hidden,
        cols: width,
      },
      wb2: {
        name: `${p}.dense2`,
        kernel: w(`${p}.dense2.kernel`),
        bias: w(`${p}.dense2.bias`),
        rows: width,
        cols: hidden,
      },
    },
    options,
  );
  const y = interpret(expr, { name: x, width: hidden }, backend);
  if (y.width !== hidden) throw new Error(`${p}: expression output width ${y.width} ≠ hidden ${hidden}`);
  return emitResidualNorm(b, y.name, x, norm(`${p}.layer_norm`));
}
