import type { Architecture } from './ast';
import { intermediateWidth, type StudentConfig } from './presets';

/**
 * The one naming contract for student weights, shared by the tfjs model, checkpoints and the ONNX
 * exporter. Kernels are [in, out] (y = x·W + b). A supernet holds every layer at maxStack blocks of
 * full width; a candidate's weights are the supernet's sliced to its sizes (first X blocks, first I
 * columns of dense1 and rows of dense2).
 *
 * The trigram embedding concatenates, per position t, [emb(t+1), emb(t), emb(t-1)] (zeros past the
 * ends and at padded positions), as MobileBERT does, then projects 3·embed → hidden.
 */
export type Shape = readonly number[];

export function studentWeightShapes(
  config: StudentConfig,
  arch: Architecture | 'supernet',
): Map<string, Shape> {
  const { hidden: h, embed: e } = config;
  const shapes = new Map<string, Shape>();
  shapes.set('embeddings.word_embeddings', [config.vocabSize, e]);
  shapes.set('embeddings.trigram.kernel', [3 * e, h]);
  shapes.set('embeddings.trigram.bias', [h]);
  shapes.set('embeddings.position_embeddings', [config.maxPositions, h]);
  shapes.set('embeddings.token_type_embeddings', [config.typeVocab, h]);
  shapes.set('embeddings.layer_norm.gamma', [h]);
  shapes.set('embeddings.layer_norm.beta', [h]);
  for (let l = 0; l < config.layers; l++) {
    const p = `encoder.${l}`;
    for (const m of ['query', 'key', 'value', 'output']) {
      shapes.set(`${p}.attention.${m}.kernel`, [h, h]);
      shapes.set(`${p}.attention.${m}.bias`, [h]);
    }
    shapes.set(`${p}.attention.layer_norm.gamma`, [h]);
    shapes.set(`${p}.attention.layer_norm.beta`, [h]);
    const size =
      arch === 'supernet' ? { stack: config.maxStack, ratio: 1 } : (arch.layers[l] ?? missingLayer(l, arch));
    const width = intermediateWidth(config, size.ratio);
    for (let b = 0; b < size.stack; b++) {
      const q = `${p}.ffn.${b}`;
      shapes.set(`${q}.dense1.kernel`, [h, width]);
      shapes.set(`${q}.dense1.bias`, [width]);
      shapes.set(`${q}.dense2.kernel`, [width, h]);
      shapes.set(`${q}.dense2.bias`, [h]);
      shapes.set(`${q}.layer_norm.gamma`, [h]);
      shapes.set(`${q}.layer_norm.beta`, [h]);
    }
  }
  shapes.set('fit_dense.kernel', [h, config.teacherHidden]);
  shapes.set('fit_dense.bias', [config.teacherHidden]);
  return shapes;
}

/** Weights of a task head on the [CLS] state: a tanh pooler then a linear classifier/regressor. */
export function headWeightShapes(config: StudentConfig, task: string, outputs: number): Map<string, Shape> {
  const h = config.hidden;
  return new Map<string, Shape>([
    [`heads.${task}.pooler.kernel`, [h, h]],
    [`heads.${task}.pooler.bias`, [h]],
    [`heads.${task}.classifier.kernel`, [h, outputs]],
    [`heads.${task}.classifier.bias`, [outputs]],
  ]);
}

function missingLayer(l: number, arch: Architecture): never {
  throw new RangeError(`architecture has ${arch.layers.length} layers; layer ${l} is missing`);
}
