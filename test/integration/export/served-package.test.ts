/**
 * The exporter's packages under the real inference server: a package written by
 * exportStudentPackage loads (model.json validates, the ONNX signature fits what the server feeds
 * and reads) and Classify answers with the tfjs model's probabilities for the same text.
 */
import { after, before, describe, it } from 'node:test';
import { WordPieceTokenizer } from '../../../efficientbert/data/tokenizer';
import { exportStudentPackage } from '../../../efficientbert/export/model-package';
import type { ExportOptions } from '../../../efficientbert/export/options';
import { selectBackend } from '../../../efficientbert/model/backend';
import { publishedArchitecture } from '../../../efficientbert/model/published-arch';
import { PRESETS } from '../../../efficientbert/space/presets';
import type { InferenceServer } from '../../../services/inference/grpc/server';
import { softmax } from '../../../services/inference/runtime/text-encoding';
import { BERT_UNCASED_DIR } from '../../helpers/shared-data';
import { assertClose, clients, startServer, tempRepository } from '../inference/harness';
import { INT8_TOLERANCE, randomWeights, studentShapes, tfjsStudent } from './harness';

const config = PRESETS.tiny;
const arch = publishedArchitecture(config.layers);
const head = { task: 'sst2', kind: 'classification' as const, outputs: 2 };
const weights = randomWeights(studentShapes(config, arch, head), 23, 0.1);
const MODELS: Record<string, ExportOptions> = {
  'eb-plain': { fused: false, int8: false },
  'eb-fused-int8': { fused: true, int8: true },
};

describe('exported packages served by services/inference', () => {
  const repo = tempRepository();
  const tokenizer = WordPieceTokenizer.fromDirectory(BERT_UNCASED_DIR);
  let server: InferenceServer;
  let c: ReturnType<typeof clients>;

  before(async () => {
    await selectBackend('wasm', () => {});
    for (const [name, options] of Object.entries(MODELS)) {
      exportStudentPackage({
        config,
        arch,
        head,
        weights,
        out: repo.dir,
        name,
        version: 1,
        tokenizerDir: BERT_UNCASED_DIR,
        labels: ['negative', 'positive'],
        options,
      });
    }
    server = await startServer(repo.dir);
    c = clients(server.port);
  });

  after(async () => {
    for (const client of Object.values(c)) client.close();
    await server.shutdown();
    repo.remove();
  });

  /** Probabilities of the tfjs student for one text, tokenized as the server does. */
  function expected(text: string): number[] {
    const e = tokenizer.encode(text, undefined, config.maxSeq);
    const n = e.inputIds.length;
    const ref = tfjsStudent(config, arch, head, weights, {
      batch: 1,
      seq: n,
      inputIds: Int32Array.from(e.inputIds),
      tokenTypeIds: Int32Array.from(e.tokenTypeIds),
      attentionMask: new Int32Array(n).fill(1),
    });
    return softmax(ref.logits);
  }

  for (const [name, options] of Object.entries(MODELS)) {
    it(`${name}: Classify matches the tfjs model`, async () => {
      const texts = ['a gripping, funny film', 'dull', 'the plot wanders but the acting keeps it alive'];
      // All texts in one request: the server pads them to the longest, and padded positions must not
      // change a text's answer (they count as zeros in the trigram embedding).
      const res = await c.classify.call('Classify', {
        model_name: name,
        inputs: texts.map((text) => ({ text })),
      });
      texts.forEach((text, i) => {
        const got = res.results[i].probabilities.map((p: { probability: number }) => p.probability);
        assertClose(got, expected(text), options.int8 ? INT8_TOLERANCE.logits : 1e-4);
      });
    });
  }
});
