import type { TeacherConfig } from '../model/teacher-config';
import { teacherWeightShapes } from '../model/teacher-config';
import { emitBiasGeluErf, emitUnary } from './activations';
import { AttentionMask, emitSelfAttention } from './attention';
import { declareTextInputs, emitBertEmbedding } from './embeddings';
import { GraphBuilder } from './graph-builder';
import { emitHead } from './head';
import { emitResidualNorm, type NormParams } from './layer-norm';
import { emitDense } from './linear';
import type { ExportOptions } from './options';
import { checkedWeights, type WeightMap } from './weight-source';

export interface TeacherExport {
  readonly config: TeacherConfig;
  /** Named and shaped as teacherWeightShapes(config): HF names, Linear kernels [in, out]. */
  readonly weights: WeightMap;
  readonly options: ExportOptions;
  readonly exposeHidden?: boolean;
}

/**
 * A standard post-LN BERT (the teacher, and the BERT-base of the latency benchmark) as ONNX, with
 * the same inputs and outputs as the student. With numLabels = 1 the head is a regressor; without
 * a head (numLabels = 0) the only output is `last_hidden_state`.
 */
export function buildTeacherOnnx(spec: TeacherExport): Uint8Array {
  const { config, options } = spec;
  const w = checkedWeights(spec.weights, teacherWeightShapes(config));
  const { hidden: h, intermediate: inter } = config;
  const norm = (name: string): NormParams => ({
    name,
    gamma: w(`${name}.weight`),
    beta: w(`${name}.bias`),
    eps: config.layerNormEps,
  });
  const table = (name: string, rows: number) => ({ name, rows, width: h, data: w(name) });
  const e = 'bert.embeddings';

  const b = new GraphBuilder('bert_teacher');
  const inputs = declareTextInputs(b);
  let x = emitBertEmbedding(b, inputs, {
    words: table(`${e}.word_embeddings.weight`, config.vocabSize),
    positions: table(`${e}.position_embeddings.weight`, config.maxPositions),
    tokenTypes: table(`${e}.token_type_embeddings.weight`, config.typeVocab),
    norm: norm(`${e}.LayerNorm`),
  });
  const mask = new AttentionMask(b, inputs.attentionMask);
  for (let l = 0; l < config.layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    const dense = (m: string) => ({ kernel: w(`${p}.${m}.weight`), bias: w(`${p}.${m}.bias`) });
    const attended = emitSelfAttention(
      b,
      x,
      {
        name: `${p}.attention`,
        hidden: h,
        heads: config.heads,
        query: dense('attention.self.query'),
        key: dense('attention.self.key'),
        value: dense('attention.self.value'),
        output: dense('attention.output.dense'),
        norm: norm(`${p}.attention.output.LayerNorm`),
      },
      mask,
      options,
    );
    const up = dense('intermediate.dense');
    const upName = `${p}.intermediate.dense`;
    let act: string;
    if (config.hiddenAct === 'gelu') {
      const product = emitDense(b, attended, { name: upName, rows: h, cols: inter, ...up }, options, false);
      act = emitBiasGeluErf(b, product, b.floatInit(`${upName}.bias`, [inter], up.bias), options.fused);
    } else {
      act = emitUnary(
        b,
        'gelu',
        emitDense(b, attended, { name: upName, rows: h, cols: inter, ...up }, options),
        options.fused,
      );
    }
    const down = dense('output.dense');
    const projected = emitDense(
      b,
      act,
      { name: `${p}.output.dense`, rows: inter, cols: h, ...down },
      options,
    );
    x = emitResidualNorm(b, projected, attended, norm(`${p}.output.LayerNorm`));
  }
  if (spec.exposeHidden || config.numLabels === 0)
    b.output(x, 'last_hidden_state', 'float32', ['batch', 'sequence', h]);
  if (config.numLabels > 0) {
    emitHead(
      b,
      x,
      {
        name: 'bert',
        hidden: h,
        outputs: config.numLabels,
        pooler: { kernel: w('bert.pooler.dense.weight'), bias: w('bert.pooler.dense.bias') },
        classifier: { kernel: w('classifier.weight'), bias: w('classifier.bias') },
      },
      config.numLabels === 1 ? 'regression' : 'classification',
      options,
    );
  }
  return b.toBytes();
}
