import { isPresetName, type PresetName } from '../core/presets';

/** Shape of a student encoder (MobileBERT-style trigram embedding, post-LN Transformer). */
export interface StudentConfig {
  readonly vocabSize: number;
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  /** Token embedding width before the trigram concat (3 × embed) and projection to `hidden`. */
  readonly embed: number;
  readonly maxPositions: number;
  readonly typeVocab: number;
  /** Full FFN width F; a layer with ratio divisor Y uses floor(F / Y). EfficientBERT: F = H. */
  readonly ffnHidden: number;
  /** FFN blocks each supernet layer holds; a candidate uses the first X. */
  readonly maxStack: number;
  /** Teacher width that `fit_dense` projects student states to, for distillation. */
  readonly teacherHidden: number;
  readonly dropout: number;
  /** Sequence length used by training and serving defaults. */
  readonly maxSeq: number;
}

const BERT_VOCAB = 30522;

/** Scale presets of DESIGN.md. `paper` is the published EfficientBERT (15.74 M parameters). */
export const PRESETS: Readonly<Record<PresetName, StudentConfig>> = {
  tiny: {
    vocabSize: BERT_VOCAB,
    hidden: 64,
    layers: 2,
    heads: 2,
    embed: 32,
    maxPositions: 512,
    typeVocab: 2,
    ffnHidden: 64,
    maxStack: 4,
    teacherHidden: 128,
    dropout: 0.1,
    maxSeq: 32,
  },
  small: {
    vocabSize: BERT_VOCAB,
    hidden: 128,
    layers: 4,
    heads: 4,
    embed: 64,
    maxPositions: 512,
    typeVocab: 2,
    ffnHidden: 128,
    maxStack: 4,
    teacherHidden: 256,
    dropout: 0.1,
    maxSeq: 64,
  },
  paper: {
    vocabSize: BERT_VOCAB,
    hidden: 540,
    layers: 6,
    heads: 12,
    embed: 128,
    maxPositions: 512,
    typeVocab: 2,
    ffnHidden: 540,
    maxStack: 4,
    teacherHidden: 768,
    dropout: 0.1,
    maxSeq: 128,
  },
};

/** EfficientBERT_TINY: the published architecture at hidden 360. */
export const PAPER_TINY: StudentConfig = { ...PRESETS.paper, hidden: 360, ffnHidden: 360 };

export function presetByName(name: string): StudentConfig {
  if (!isPresetName(name)) {
    throw new RangeError(`unknown preset '${name}' (expected one of ${Object.keys(PRESETS).join(', ')})`);
  }
  return PRESETS[name];
}

/** Intermediate width of an FFN block with ratio divisor Y. */
export function intermediateWidth(config: StudentConfig, ratio: number): number {
  return Math.floor(config.ffnHidden / ratio);
}
