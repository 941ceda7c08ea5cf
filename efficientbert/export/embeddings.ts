import type { GraphBuilder } from './graph-builder';
import { emitLayerNorm, type NormParams } from './layer-norm';
import { emitDense } from './linear';
import type { ExportOptions } from './options';

/** The three int64 [batch, sequence] inputs every exported encoder takes (services/inference). */
export interface TextInputs {
  readonly inputIds: string;
  readonly attentionMask: string;
  readonly tokenTypeIds: string;
}

export function declareTextInputs(b: GraphBuilder): TextInputs {
  const dims = ['batch', 'sequence'];
  return {
    inputIds: b.input('input_ids', 'int64', dims),
    attentionMask: b.input('attention_mask', 'int64', dims),
    tokenTypeIds: b.input('token_type_ids', 'int64', dims),
  };
}

export interface Table {
  readonly name: string;
  readonly rows: number;
  readonly width: number;
  readonly data: Float32Array;
}

function gather(b: GraphBuilder, table: Table, ids: string): string {
  return b.node(
    'Gather',
    [b.floatInit(table.name, [table.rows, table.width], table.data), ids],
    {},
    {
      name: `${table.name}.rows`,
    },
  );
}

/** The first `sequence` rows of the position table, [sequence, hidden] (broadcast over the batch). */
function positions(b: GraphBuilder, inputs: TextInputs, table: Table): string {
  const seqLen = b.node(
    'Shape',
    [inputs.inputIds],
    { start: { int: 1 }, end: { int: 2 } },
    { name: 'seq_len' },
  );
  const init = b.floatInit(table.name, [table.rows, table.width], table.data);
  return b.node('Slice', [init, b.ints([0]), seqLen, b.ints([0])], {}, { name: `${table.name}.rows` });
}

export interface StudentEmbeddingParams {
  readonly words: Table;
  readonly trigram: { readonly kernel: Float32Array; readonly bias: Float32Array };
  readonly positions: Table;
  readonly tokenTypes: Table;
  readonly norm: NormParams;
  readonly hidden: number;
}

/**
 * MobileBERT-style embedding (spec §2): per position t the concat [e(t+1), e(t), e(t−1)] of token
 * embeddings (zeros past the ends: Pad one step on each side of the sequence axis, then Slice)
 * projected to hidden, plus position and token-type embeddings, then LayerNorm.
 */
export function emitStudentEmbedding(
  b: GraphBuilder,
  inputs: TextInputs,
  p: StudentEmbeddingParams,
  options: ExportOptions,
): string {
  const e = p.words.width;
  // Mirrors the tfjs model: padded positions count as zeros in the trigram, so batching with longer
  // texts cannot change a text's answer.
  const mask = b.node(
    'Unsqueeze',
    [b.node('Cast', [inputs.attentionMask], { to: { int: 1 } }, { name: 'embedding_mask' }), b.ints([-1])],
    {},
    { name: 'embedding_mask_3d' },
  );
  const tokens = b.node('Mul', [gather(b, p.words, inputs.inputIds), mask], {}, { name: 'tokens_masked' });
  const padded = b.node('Pad', [tokens, b.ints([0, 1, 0, 0, 1, 0])], {}, { name: 'tokens_padded' });
  const next = b.node(
    'Slice',
    [padded, b.ints([2]), b.ints([Number.MAX_SAFE_INTEGER]), b.ints([1])],
    {},
    { name: 'next' },
  );
  const prev = b.node('Slice', [padded, b.ints([0]), b.ints([-2]), b.ints([1])], {}, { name: 'prev' });
  const trigram = b.node('Concat', [next, tokens, prev], { axis: { int: -1 } }, { name: 'trigram' });
  const projected = emitDense(
    b,
    trigram,
    { name: 'embeddings.trigram', rows: 3 * e, cols: p.hidden, ...p.trigram },
    options,
  );
  const sum = b.node('Add', [
    b.node('Add', [projected, positions(b, inputs, p.positions)]),
    gather(b, p.tokenTypes, inputs.tokenTypeIds),
  ]);
  return emitLayerNorm(b, sum, p.norm);
}

export interface BertEmbeddingParams {
  readonly words: Table;
  readonly positions: Table;
  readonly tokenTypes: Table;
  readonly norm: NormParams;
}

/** BERT's embedding: word + position + token type, then LayerNorm. */
export function emitBertEmbedding(b: GraphBuilder, inputs: TextInputs, p: BertEmbeddingParams): string {
  const words = gather(b, p.words, inputs.inputIds);
  const sum = b.node('Add', [
    b.node('Add', [words, positions(b, inputs, p.positions)]),
    gather(b, p.tokenTypes, inputs.tokenTypeIds),
  ]);
  return emitLayerNorm(b, sum, p.norm);
}
