import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Prng } from '../core/prng';
import { type AttentionWeights, attentionMaskBias, multiHeadAttention } from './attention';
import type { EncoderOutput } from './encoder-output';
import { clsStates } from './heads';
import { type EncoderInputs, positionIds } from './inputs';
import { type Dropout, dense, embeddingLookup, geluErf, geluTanh, layerNorm } from './layers';
import { ParamStore, type Weights } from './params';
import { type FloatTensor, readSafetensors, writeSafetensors } from './safetensors';
import {
  canonicalHfName,
  isHfLinearWeight,
  type TeacherConfig,
  teacherConfigFromHf,
  teacherConfigToHf,
  teacherWeightShapes,
} from './teacher-config';
import * as tf from './tf';

export interface TeacherOutput extends EncoderOutput {
  /** [batch, numLabels], or null when the teacher has no task head. */
  readonly logits: tf.Tensor2D | null;
}

/** Tokenizer files copied next to a saved teacher so the folder is a complete HF model. */
export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'vocab.txt',
  'special_tokens_map.json',
];

/** A standard post-LN BERT (the distillation teacher), weights in HF names with [in, out] kernels. */
export class Teacher {
  constructor(
    readonly config: TeacherConfig,
    readonly params: ParamStore,
  ) {}

  static random(config: TeacherConfig, rng: Prng): Teacher {
    return new Teacher(config, ParamStore.init(teacherWeightShapes(config), rng));
  }

  forward(inputs: EncoderInputs, dropout: Dropout): TeacherOutput {
    return teacherForward(this.params.weights(), this.config, inputs, dropout);
  }

  dispose(): void {
    this.params.dispose();
  }
}

/**
 * Copies `from`'s encoder (embeddings, layers, and its pooler where it has one) into `to`, which
 * keeps its own task head: how a task teacher starts from the general one.
 */
export function copyEncoder(from: Teacher, to: Teacher): void {
  const a = from.config;
  const b = to.config;
  if (
    a.hidden !== b.hidden ||
    a.layers !== b.layers ||
    a.intermediate !== b.intermediate ||
    a.vocabSize !== b.vocabSize
  )
    throw new Error('copyEncoder: the two teachers have different encoder shapes');
  const arrays = to.params.toArrays();
  for (const [name, v] of from.params.toArrays()) if (!name.startsWith('classifier.')) arrays.set(name, v);
  to.params.assignArrays(arrays);
}

export function teacherForward(
  w: Weights,
  config: TeacherConfig,
  inputs: EncoderInputs,
  dropout: Dropout,
): TeacherOutput {
  const [batchSize, seqLen] = inputs.inputIds.shape;
  const e = 'bert.embeddings';
  const eps = config.layerNormEps;
  const sum = tf.add(
    tf.add(
      embeddingLookup(w(`${e}.word_embeddings.weight`), tf.reshape(inputs.inputIds, [-1])),
      embeddingLookup(w(`${e}.position_embeddings.weight`), positionIds(batchSize, seqLen)),
    ),
    embeddingLookup(w(`${e}.token_type_embeddings.weight`), tf.reshape(inputs.tokenTypeIds, [-1])),
  ) as tf.Tensor2D;
  const embedding = dropout(
    layerNorm(sum, w(`${e}.LayerNorm.weight`), w(`${e}.LayerNorm.bias`), eps),
  ) as tf.Tensor2D;
  const maskBias = attentionMaskBias(inputs.attentionMask);
  const act = config.hiddenAct === 'gelu' ? geluErf : geluTanh;
  const hidden: tf.Tensor2D[] = [];
  const scores: tf.Tensor4D[] = [];
  let h = embedding;
  for (let l = 0; l < config.layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    const att = multiHeadAttention(h, teacherAttentionWeights(w, p), maskBias, config.heads, dropout, eps);
    const inter = act(
      dense(att.output, w(`${p}.intermediate.dense.weight`), w(`${p}.intermediate.dense.bias`)),
    ) as tf.Tensor2D;
    const out = dropout(dense(inter, w(`${p}.output.dense.weight`), w(`${p}.output.dense.bias`)));
    h = layerNorm(
      tf.add(att.output, out) as tf.Tensor2D,
      w(`${p}.output.LayerNorm.weight`),
      w(`${p}.output.LayerNorm.bias`),
      eps,
    );
    hidden.push(h);
    scores.push(att.scores);
  }
  let logits: tf.Tensor2D | null = null;
  if (config.numLabels > 0) {
    const pooled = tf.tanh(
      dense(clsStates(h, batchSize, seqLen), w('bert.pooler.dense.weight'), w('bert.pooler.dense.bias')),
    );
    logits = dense(dropout(pooled) as tf.Tensor2D, w('classifier.weight'), w('classifier.bias'));
  }
  return { embedding, hidden, scores, batchSize, seqLen, logits };
}

function teacherAttentionWeights(w: Weights, p: string): AttentionWeights {
  const d = (m: string) => ({ kernel: w(`${p}.${m}.weight`), bias: w(`${p}.${m}.bias`) });
  return {
    query: d('attention.self.query'),
    key: d('attention.self.key'),
    value: d('attention.self.value'),
    output: d('attention.output.dense'),
    layerNorm: {
      gamma: w(`${p}.attention.output.LayerNorm.weight`),
      beta: w(`${p}.attention.output.LayerNorm.bias`),
    },
  };
}

/**
 * Loads a teacher from a Hugging Face folder (config.json + model.safetensors). Every tensor the
 * config implies must be present with its shape; HF Linear weights are transposed to [in, out].
 * Tensors the teacher does not use (position_ids, MLM heads) are ignored.
 */
export function loadTeacher(dir: string): Teacher {
  const configPath = path.join(dir, 'config.json');
  const weightsPath = path.join(dir, 'model.safetensors');
  for (const p of [configPath, weightsPath])
    if (!fs.existsSync(p)) throw new Error(`teacher folder ${dir}: missing ${path.basename(p)}`);
  const config = teacherConfigFromHf(JSON.parse(fs.readFileSync(configPath, 'utf8')), configPath);
  const found = new Map<string, { shape: readonly number[]; data: Float32Array | null }>();
  for (const [name, entry] of readSafetensors(weightsPath)) found.set(canonicalHfName(name), entry);
  const arrays = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [name, ours] of teacherWeightShapes(config)) {
    const entry = found.get(name);
    const transpose = isHfLinearWeight(name);
    const expected = transpose ? [ours[1]!, ours[0]!] : [...ours];
    if (!entry)
      throw new Error(
        `${weightsPath}: tensor '${name}' required by config.json (shape [${expected}]) is missing`,
      );
    if (entry.shape.join(',') !== expected.join(',')) {
      throw new Error(
        `${weightsPath}: tensor '${name}' has shape [${entry.shape}], config.json implies [${expected}]`,
      );
    }
    if (!entry.data) throw new Error(`${weightsPath}: tensor '${name}' is not a float tensor`);
    arrays.set(name, {
      shape: ours,
      data: transpose ? transpose2d(entry.data, expected[0]!, expected[1]!) : entry.data,
    });
  }
  return new Teacher(config, ParamStore.fromArrays(arrays));
}

/**
 * Writes a teacher as a Hugging Face folder; copies tokenizer files from `tokenizerDir` if given,
 * and names the head's outputs `labels` (id2label) when they are as many.
 */
export function saveTeacher(
  teacher: Teacher,
  dir: string,
  tokenizerDir?: string,
  labels: readonly string[] = [],
): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'config.json'),
    `${JSON.stringify(teacherConfigToHf(teacher.config, labels), null, 2)}\n`,
  );
  const tensors = new Map<string, FloatTensor>();
  for (const [name, { shape, data }] of teacher.params.toArrays()) {
    tensors.set(
      name,
      isHfLinearWeight(name)
        ? { shape: [shape[1]!, shape[0]!], data: transpose2d(data, shape[0]!, shape[1]!) }
        : { shape, data },
    );
  }
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  if (tokenizerDir) {
    for (const f of TOKENIZER_FILES) {
      const src = path.join(tokenizerDir, f);
      if (fs.existsSync(src)) fs.copyFileSync(src, path.join(dir, f));
    }
  }
}

/** Row-major [rows, cols] → [cols, rows]. */
function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}
