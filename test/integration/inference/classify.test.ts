import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { WordPieceTokenizer } from '../../../efficientbert/data/tokenizer';
import type { InferenceServer } from '../../../services/inference/grpc/server';
import { softmax } from '../../../services/inference/runtime/text-encoding';
import { BERT_TOKENIZER_DIR, type TinyClassifier, writeTinyClassifier } from '../../fixtures/tiny-classifier';
import { assertClose, clients, rejection, startServer, tempRepository } from './harness';

describe('efficientbert.v1.Inference', () => {
  const repo = tempRepository();
  const tokenizer = WordPieceTokenizer.fromDirectory(BERT_TOKENIZER_DIR);
  let fixture: TinyClassifier;
  let server: InferenceServer;
  let c: ReturnType<typeof clients>;

  before(async () => {
    fixture = writeTinyClassifier(repo.dir, { name: 'sst2', version: 1, seed: 11, maxSeqLength: 16 });
    server = await startServer(repo.dir);
    c = clients(server.port);
  });

  after(async () => {
    for (const client of Object.values(c)) client.close();
    await server.shutdown();
    repo.remove();
  });

  const expected = (text: string, pair?: string) => {
    const e = tokenizer.encode(text, pair, 16);
    return softmax(fixture.reference(e.inputIds, e.tokenTypeIds, e.attentionMask));
  };

  it('classifies single texts of different lengths like the reference computation', async () => {
    const texts = ['a gripping, funny film', 'dull', 'the plot wanders but the acting keeps it alive', ''];
    const res = await c.classify.call('Classify', {
      model_name: 'sst2',
      inputs: texts.map((text) => ({ text })),
    });
    assert.equal(res.model_version, '1');
    assert.equal(res.results.length, texts.length);
    texts.forEach((text, i) => {
      const want = expected(text);
      const got = res.results[i];
      assert.deepEqual(
        got.probabilities.map((p: { label: string }) => p.label),
        ['negative', 'positive'],
      );
      assertClose(
        got.probabilities.map((p: { probability: number }) => p.probability),
        want,
      );
      assert.equal(got.label, want[0]! > want[1]! ? 'negative' : 'positive');
      assert.equal(got.token_count, tokenizer.encode(text).inputIds.length);
      assert.equal(got.truncated, false);
    });
  });

  it('classifies text pairs with segment ids', async () => {
    const res = await c.classify.call('Classify', {
      model_name: 'sst2',
      inputs: [{ text: 'a man is playing', text_pair: 'someone plays music' }],
    });
    const want = expected('a man is playing', 'someone plays music');
    assert.ok(Math.abs(res.results[0].probabilities[1].probability - want[1]!) < 1e-5);
  });

  it('truncates or rejects texts longer than max_seq_length as asked', async () => {
    const long = 'word '.repeat(40);
    const truncated = await c.classify.call('Classify', {
      model_name: 'sst2',
      inputs: [{ text: long }],
      truncation: 'TRUNCATE',
    });
    assert.equal(truncated.results[0].truncated, true);
    assert.equal(truncated.results[0].token_count, 16);
    const err = await rejection(
      c.classify.call('Classify', {
        model_name: 'sst2',
        inputs: [{ text: 'ok' }, { text: long }],
        truncation: 'REJECT',
      }),
    );
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, /inputs\[1\]/);
  });

  it('answers NOT_FOUND for unknown models and versions, INVALID_ARGUMENT for empty batches', async () => {
    assert.equal(
      (await rejection(c.classify.call('Classify', { model_name: 'nope', inputs: [{ text: 'x' }] }))).code,
      grpc.status.NOT_FOUND,
    );
    assert.equal(
      (
        await rejection(
          c.classify.call('Classify', { model_name: 'sst2', model_version: '7', inputs: [{ text: 'x' }] }),
        )
      ).code,
      grpc.status.NOT_FOUND,
    );
    const empty = await rejection(c.classify.call('Classify', { model_name: 'sst2', inputs: [] }));
    assert.equal(empty.code, grpc.status.INVALID_ARGUMENT);
    assert.match(empty.details, /inputs/);
  });

  it('streams answers to pipelined requests, failures as messages that name the request', async () => {
    const stream = c.classify.raw.ClassifyStream();
    const answers: Array<{
      id: string;
      code: number;
      error_message: string;
      response: { results: unknown[] } | null;
    }> = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (m: (typeof answers)[number]) => answers.push(m));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    for (let i = 0; i < 30; i++)
      stream.write({ model_name: 'sst2', id: `r${i}`, inputs: [{ text: `text ${i}` }] });
    stream.write({ model_name: 'sst2', id: 'empty', inputs: [] });
    stream.end();
    await done;
    assert.equal(answers.length, 31);
    const failed = answers.find((a) => a.id === 'empty')!;
    assert.equal(failed.code, grpc.status.INVALID_ARGUMENT);
    assert.match(failed.error_message, /inputs/);
    for (const a of answers.filter((x) => x.id !== 'empty')) {
      assert.equal(a.code, grpc.status.OK);
      assert.equal(a.response!.results.length, 1);
    }
  });

  it('lists and describes models', async () => {
    const list = await c.classify.call('ListModels', {});
    assert.equal(list.models.length, 1);
    const info = await c.classify.call('GetModel', { name: 'sst2' });
    assert.equal(info.state, 'READY');
    assert.equal(info.task, 'classification');
    assert.deepEqual(info.labels, ['negative', 'positive']);
    assert.equal(info.max_seq_length, 16);
    assert.equal(info.execution_provider, 'cpu');
  });
});
