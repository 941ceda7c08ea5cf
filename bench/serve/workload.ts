/**
 * What every path of bench/serve sends: one English text that fills SEQ tokens after truncation,
 * as Classify text, as OIP ModelInfer token ids, as the encoded Classify bytes the transport floor
 * and grpcio send, and as in-process ORT feeds.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { WordPieceTokenizer } from '../../efficientbert/data/tokenizer';
import { loadProtoRoot, SERVICE_NAMES } from '../../services/inference/grpc/protos';

export const SEQ = 128;
export const LABELS = ['negative', 'positive'];
export const CLASSIFY_PATH = `/${SERVICE_NAMES.classify}/Classify`;

/** A text long enough to fill SEQ tokens after truncation (about 270 word pieces). */
export const TEXT = Array.from(
  { length: 12 },
  () => 'an entirely watchable film with a few good jokes and a great deal of heart in it ,',
).join(' ');

export const int64 = (values: number[]) => BigInt64Array.from(values, (v) => BigInt(v));

export type Workload = ReturnType<typeof workload>;

/** The bench text through the tokenizer of the package `served` in `repo`. */
export function workload(repo: string, served: string) {
  const tokenizer = WordPieceTokenizer.fromDirectory(join(repo, served, '1', 'tokenizer'));
  const encoding = tokenizer.encode(TEXT, undefined, SEQ);
  if (encoding.inputIds.length !== SEQ)
    throw new Error(`the bench text is ${encoding.inputIds.length} tokens`);
  const columns = {
    input_ids: int64(encoding.inputIds),
    attention_mask: int64(encoding.attentionMask),
    token_type_ids: int64(encoding.tokenTypeIds),
  };
  const feeds = Object.fromEntries(
    Object.entries(columns).map(([name, data]) => [name, new ort.Tensor('int64', data, [1, SEQ])]),
  );
  const classifyRequest = { model_name: served, inputs: [{ text: TEXT }], truncation: 'TRUNCATE' };
  const inferRequest = {
    model_name: served,
    inputs: Object.keys(columns).map((name) => ({ name, datatype: 'INT64', shape: ['1', String(SEQ)] })),
    raw_input_contents: Object.values(columns).map((c) => Buffer.from(c.buffer)),
  };
  const classifyMethod = loadProtoRoot().lookupService(SERVICE_NAMES.classify).methods.Classify!;
  classifyMethod.resolve();
  const requestType = classifyMethod.resolvedRequestType!;
  const classifyBytes = Buffer.from(requestType.encode(requestType.fromObject(classifyRequest)).finish());
  return { tokenizer, columns, feeds, classifyRequest, inferRequest, classifyBytes };
}

/** Throws unless a ClassifyResponse says the server tokenized the text to SEQ tokens, as the bench did. */
export function checkClassifyResponse(response: unknown): void {
  const result = (response as { results: Array<{ token_count: number }> }).results[0]!;
  if (result.token_count !== SEQ) throw new Error(`server tokenized ${result.token_count} tokens`);
}
