/**
 * Unlabeled text for pre-training knowledge distillation: the sentences of a task's train file(s)
 * with labels dropped, each sentence of a pair standing alone.
 */
import * as path from 'node:path';
import { type EncodedDataset, encodeTexts } from './batching';
import { glueTask } from './glue';
import type { WordPieceTokenizer } from './tokenizer';

/**
 * Distinct sentences of a task's train split, in first-seen order. Duplicates are dropped because
 * pair tasks repeat a premise for each hypothesis (MNLI: about three times), which would over-weight it.
 */
export function readUnlabeledSentences(glueDir: string, taskName: string): string[] {
  const task = glueTask(taskName);
  const seen = new Set<string>();
  for (const file of task.trainFiles) {
    for (const example of task.read(path.join(glueDir, task.folder, file))) {
      seen.add(example.textA);
      if (example.textB !== undefined) seen.add(example.textB);
    }
  }
  return [...seen];
}

/** The train sentences of one or more tasks, tokenized as single sentences, without labels. */
export function unlabeledDataset(
  glueDir: string,
  taskNames: readonly string[],
  tokenizer: WordPieceTokenizer,
  maxSeq: number,
): EncodedDataset {
  const sentences = new Set(taskNames.flatMap((name) => readUnlabeledSentences(glueDir, name)));
  return encodeTexts([...sentences], tokenizer, maxSeq);
}
