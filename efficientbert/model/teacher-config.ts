import type { Shape } from '../space/weights';

/** The fields of a Hugging Face BERT config.json that the teacher needs. */
export interface TeacherConfig {
  readonly vocabSize: number;
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly intermediate: number;
  /** "gelu" = exact erf GELU; "gelu_new" / "gelu_pytorch_tanh" = tanh approximation. */
  readonly hiddenAct: 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh';
  readonly maxPositions: number;
  readonly typeVocab: number;
  readonly layerNormEps: number;
  readonly dropout: number;
  /** Outputs of the classification/regression head; 0 when the checkpoint has no head. */
  readonly numLabels: number;
}

const ACTS = ['gelu', 'gelu_new', 'gelu_pytorch_tanh'] as const;

export function teacherConfigFromHf(json: Record<string, unknown>, source = 'config.json'): TeacherConfig {
  const int = (key: string, fallback?: number): number => {
    const v = json[key] ?? fallback;
    if (!Number.isInteger(v) || (v as number) < 0)
      throw new Error(`${source}: '${key}' must be a non-negative integer, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const act = String(json.hidden_act ?? 'gelu');
  if (!(ACTS as readonly string[]).includes(act)) {
    throw new Error(`${source}: hidden_act '${act}' is not supported (expected ${ACTS.join(', ')})`);
  }
  const id2label = json.id2label as Record<string, string> | undefined;
  const architectures = (json.architectures as string[] | undefined) ?? [];
  const hasHead = architectures.some((a) => a.endsWith('ForSequenceClassification'));
  const numLabels = hasHead ? int('num_labels', id2label ? Object.keys(id2label).length : 2) : 0;
  const config: TeacherConfig = {
    vocabSize: int('vocab_size'),
    hidden: int('hidden_size'),
    layers: int('num_hidden_layers'),
    heads: int('num_attention_heads'),
    intermediate: int('intermediate_size'),
    hiddenAct: act as TeacherConfig['hiddenAct'],
    maxPositions: int('max_position_embeddings', 512),
    typeVocab: int('type_vocab_size', 2),
    layerNormEps: Number(json.layer_norm_eps ?? 1e-12),
    dropout: Number(json.hidden_dropout_prob ?? 0.1),
    numLabels,
  };
  if (config.hidden % config.heads !== 0)
    throw new Error(`${source}: hidden_size ${config.hidden} is not divisible by ${config.heads} heads`);
  return config;
}

/**
 * The Hugging Face config.json of a teacher. `labels` name the head's outputs in order (a teacher
 * trained here on a task carries that task's label names); without them, or for a regression head,
 * transformers' own defaults LABEL_0.. are written.
 */
export function teacherConfigToHf(
  config: TeacherConfig,
  labels: readonly string[] = [],
): Record<string, unknown> {
  const names =
    labels.length === config.numLabels
      ? labels
      : Array.from({ length: config.numLabels }, (_, i) => `LABEL_${i}`);
  const head =
    config.numLabels > 0
      ? {
          architectures: ['BertForSequenceClassification'],
          num_labels: config.numLabels,
          id2label: Object.fromEntries(names.map((l, i) => [String(i), l])),
          label2id: Object.fromEntries(names.map((l, i) => [l, i])),
          ...(config.numLabels === 1 ? { problem_type: 'regression' } : {}),
        }
      : { architectures: ['BertModel'] };
  return {
    ...head,
    model_type: 'bert',
    attention_probs_dropout_prob: config.dropout,
    hidden_act: config.hiddenAct,
    hidden_dropout_prob: config.dropout,
    hidden_size: config.hidden,
    initializer_range: 0.02,
    intermediate_size: config.intermediate,
    layer_norm_eps: config.layerNormEps,
    max_position_embeddings: config.maxPositions,
    num_attention_heads: config.heads,
    num_hidden_layers: config.layers,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    type_vocab_size: config.typeVocab,
    vocab_size: config.vocabSize,
  };
}

/**
 * Every teacher tensor by its canonical Hugging Face name, with OUR shapes: Linear kernels are
 * stored [in, out] (transposed from HF's [out, in]); see isHfLinearWeight.
 */
export function teacherWeightShapes(config: TeacherConfig): Map<string, Shape> {
  const { hidden: h, intermediate: i } = config;
  const s = new Map<string, Shape>();
  const e = 'bert.embeddings';
  s.set(`${e}.word_embeddings.weight`, [config.vocabSize, h]);
  s.set(`${e}.position_embeddings.weight`, [config.maxPositions, h]);
  s.set(`${e}.token_type_embeddings.weight`, [config.typeVocab, h]);
  s.set(`${e}.LayerNorm.weight`, [h]);
  s.set(`${e}.LayerNorm.bias`, [h]);
  for (let l = 0; l < config.layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    for (const m of ['query', 'key', 'value']) {
      s.set(`${p}.attention.self.${m}.weight`, [h, h]);
      s.set(`${p}.attention.self.${m}.bias`, [h]);
    }
    s.set(`${p}.attention.output.dense.weight`, [h, h]);
    s.set(`${p}.attention.output.dense.bias`, [h]);
    s.set(`${p}.attention.output.LayerNorm.weight`, [h]);
    s.set(`${p}.attention.output.LayerNorm.bias`, [h]);
    s.set(`${p}.intermediate.dense.weight`, [h, i]);
    s.set(`${p}.intermediate.dense.bias`, [i]);
    s.set(`${p}.output.dense.weight`, [i, h]);
    s.set(`${p}.output.dense.bias`, [h]);
    s.set(`${p}.output.LayerNorm.weight`, [h]);
    s.set(`${p}.output.LayerNorm.bias`, [h]);
  }
  if (config.numLabels > 0) {
    s.set('bert.pooler.dense.weight', [h, h]);
    s.set('bert.pooler.dense.bias', [h]);
    s.set('classifier.weight', [h, config.numLabels]);
    s.set('classifier.bias', [config.numLabels]);
  }
  return s;
}

/** HF stores nn.Linear weights [out, in]; embeddings and LayerNorm weights are not transposed. */
export function isHfLinearWeight(name: string): boolean {
  return name.endsWith('.weight') && !name.includes('embeddings.') && !name.includes('LayerNorm');
}

/**
 * Canonical name of a tensor as found in a checkpoint: adds the `bert.` prefix that bare BertModel
 * checkpoints lack and maps the old TF-converted LayerNorm names gamma/beta to weight/bias.
 */
export function canonicalHfName(name: string): string {
  let n = name
    .replace(/\.LayerNorm\.gamma$/, '.LayerNorm.weight')
    .replace(/\.LayerNorm\.beta$/, '.LayerNorm.bias');
  if (/^(embeddings|encoder|pooler)\./.test(n)) n = `bert.${n}`;
  return n;
}
