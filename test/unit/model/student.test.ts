import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Prng } from '../../../efficientbert/core/prng';
import { selectBackend } from '../../../efficientbert/model/backend';
import { classificationHead, regressionHead } from '../../../efficientbert/model/heads';
import { noDropout, seededDropout } from '../../../efficientbert/model/layers';
import { publishedArchitecture } from '../../../efficientbert/model/published-arch';
import { fitDense } from '../../../efficientbert/model/student';
import { StudentModel } from '../../../efficientbert/model/student-model';
import * as tf from '../../../efficientbert/model/tf';
import { countParameters } from '../../../efficientbert/space/params';
import { PRESETS, type StudentConfig } from '../../../efficientbert/space/presets';
import { sampleArchitecture, stage1Plan } from '../../../efficientbert/space/sample';
import { headWeightShapes, studentWeightShapes } from '../../../efficientbert/space/weights';

/** Stage-1 candidates: random seeds mutated by the space's own mutation operators. */
const randomArchitecture = (rng: Prng) => sampleArchitecture(rng, CONFIG, stage1Plan());

// A small vocabulary keeps the tests fast; every other dimension is the tiny preset's.
const CONFIG: StudentConfig = { ...PRESETS.tiny, vocabSize: 200 };

function inputs(batch: number, seq: number, rng: Prng, padFrom = seq) {
  const ids = Int32Array.from({ length: batch * seq }, () => rng.int(CONFIG.vocabSize));
  const mask = Float32Array.from({ length: batch * seq }, (_, i) => (i % seq < padFrom ? 1 : 0));
  return {
    inputIds: tf.tensor2d(ids, [batch, seq], 'int32'),
    tokenTypeIds: tf.zeros([batch, seq], 'int32') as tf.Tensor2D,
    attentionMask: tf.tensor2d(mask, [batch, seq]),
  };
}

const count = (shapes: Map<string, readonly number[]>) =>
  [...shapes.values()].reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);

describe('student encoder', () => {
  before(async () => {
    await selectBackend('wasm', () => {});
  });

  it('has exactly the parameters studentWeightShapes lists, for random architectures', () => {
    const rng = Prng.fromSeed(7);
    for (let trial = 0; trial < 30; trial++) {
      const arch = randomArchitecture(rng);
      const model = StudentModel.candidate(CONFIG, arch, [classificationHead('t', 3)], rng);
      const expected = count(studentWeightShapes(CONFIG, arch)) + count(headWeightShapes(CONFIG, 't', 3));
      assert.equal(model.params.size(), expected);
      assert.equal(
        model.params.size(),
        countParameters(CONFIG, arch) + count(headWeightShapes(CONFIG, 't', 3)),
      );
      for (const [name, shape] of studentWeightShapes(CONFIG, arch)) {
        assert.deepEqual(model.params.get(name).shape, [...shape], name);
      }
      // Every random architecture also runs: shapes of all outputs are as documented.
      tf.tidy(() => {
        const out = model.forward(arch, inputs(2, 5, rng), noDropout);
        assert.equal(out.hidden.length, CONFIG.layers);
        assert.deepEqual(out.hidden[1]!.shape, [10, CONFIG.hidden]);
        assert.deepEqual(out.scores[0]!.shape, [2, CONFIG.heads, 5, 5]);
        assert.deepEqual(model.logits('t', out, noDropout).shape, [2, 3]);
      });
      model.dispose();
    }
  });

  it('adds the −10000 mask to the pre-softmax scores of padded keys', () => {
    const rng = Prng.fromSeed(1);
    const model = StudentModel.candidate(CONFIG, publishedArchitecture(CONFIG.layers), [], rng);
    tf.tidy(() => {
      const out = model.forward(publishedArchitecture(CONFIG.layers), inputs(2, 6, rng, 4), noDropout);
      const s = out.scores[0]!.arraySync() as number[][][][];
      for (const row of s[0]![1]!) {
        assert.ok(row.slice(0, 4).every((v) => v > -100));
        assert.ok(row.slice(4).every((v) => v < -9000));
      }
    });
    model.dispose();
  });

  it('gives a text the same states alone as padded beside a longer text', () => {
    // The trigram embedding looks at the t+1 token: without masking, the [PAD] after a short text
    // would leak into its last position whenever it is batched with a longer one.
    const rng = Prng.fromSeed(5);
    const arch = publishedArchitecture(CONFIG.layers);
    const model = StudentModel.candidate(CONFIG, arch, [classificationHead('c', 2)], rng);
    const short = [5, 17, 42, 99];
    const long = [7, 8, 9, 10, 11, 12, 13];
    const hidden = CONFIG.hidden;
    // Embedding and last-layer states of the short text's real positions.
    const run = (rows: number[][], seq: number) =>
      tf.tidy(() => {
        const ids = rows.flatMap((r) => [...r, ...new Array(seq - r.length).fill(0)]);
        const mask = rows.flatMap((r) => [...r.map(() => 1), ...new Array(seq - r.length).fill(0)]);
        const out = model.forward(
          arch,
          {
            inputIds: tf.tensor2d(Int32Array.from(ids), [rows.length, seq], 'int32'),
            tokenTypeIds: tf.zeros([rows.length, seq], 'int32') as tf.Tensor2D,
            attentionMask: tf.tensor2d(Float32Array.from(mask), [rows.length, seq]),
          },
          noDropout,
        );
        const real = short.length * hidden;
        return [out.embedding, out.hidden[out.hidden.length - 1]!].map((t) =>
          Array.from(t.dataSync().slice(0, real)),
        );
      });
    const alone = run([short], short.length);
    const batched = run([short, long], long.length);
    for (const [k, name] of ['embedding', 'last layer'].entries()) {
      const worst = Math.max(...alone[k]!.map((v, i) => Math.abs(v - batched[k]![i]!)));
      assert.ok(worst < 1e-5, `${name} states differ by ${worst} when batched with a longer text`);
    }
    model.dispose();
  });

  it('runs a candidate on supernet slices exactly like the extracted candidate', () => {
    const rng = Prng.fromSeed(3);
    const supernet = StudentModel.supernet(CONFIG, [regressionHead('r')], rng);
    for (let trial = 0; trial < 4; trial++) {
      const arch = randomArchitecture(rng);
      const own = StudentModel.fromSupernet(supernet, arch);
      assert.equal(
        own.params.size(),
        count(studentWeightShapes(CONFIG, arch)) + count(headWeightShapes(CONFIG, 'r', 1)),
      );
      tf.tidy(() => {
        const x = inputs(2, 4, rng);
        const a = supernet.logits('r', supernet.forward(arch, x, noDropout), noDropout).dataSync();
        const b = own.logits('r', own.forward(arch, x, noDropout), noDropout).dataSync();
        assert.deepEqual(Array.from(a), Array.from(b));
      });
      own.dispose();
    }
    supernet.dispose();
  });

  it('sends single-path gradients into the shared slices only', () => {
    const rng = Prng.fromSeed(5);
    const supernet = StudentModel.supernet(CONFIG, [], rng);
    const arch = {
      layers: publishedArchitecture(CONFIG.layers).layers.map((l) => ({
        ...l,
        stack: 2 as const,
        ratio: 4 as const,
      })),
    };
    const vars = [...supernet.params.vars.values()];
    tf.tidy(() => {
      const x = inputs(2, 4, rng);
      const { grads } = tf.variableGrads(() => {
        const w = supernet.weightsFor(arch);
        const out = supernet.forward(
          arch,
          x,
          seededDropout(0.1, () => 1),
          w,
        );
        return tf.mean(tf.square(fitDense(w, out.hidden[1]!))) as tf.Scalar;
      }, vars);
      const grad = (name: string) => grads[supernet.params.get(name).name];
      // Blocks beyond the candidate's stack get no gradient at all.
      assert.equal(grad('encoder.0.ffn.2.dense1.kernel'), undefined);
      const d1 = grad('encoder.0.ffn.1.dense1.kernel')!.arraySync() as number[][];
      const used = CONFIG.ffnHidden / 4;
      assert.ok(d1.some((row) => row.slice(0, used).some((v) => v !== 0)));
      assert.ok(d1.every((row) => row.slice(used).every((v) => v === 0)));
      const d2 = grad('encoder.0.ffn.1.dense2.kernel')!.arraySync() as number[][];
      assert.ok(d2.slice(used).every((row) => row.every((v) => v === 0)));
    });
    supernet.dispose();
  });

  it('keeps the tensor count flat across forward+backward passes', () => {
    const rng = Prng.fromSeed(9);
    const supernet = StudentModel.supernet(CONFIG, [classificationHead('c', 2)], rng);
    const vars = [...supernet.params.vars.values()];
    const x = inputs(2, 4, rng);
    const step = () =>
      tf.tidy(() => {
        const arch = randomArchitecture(rng);
        tf.variableGrads(() => {
          const out = supernet.forward(
            arch,
            x,
            seededDropout(0.1, () => rng.nextUint32()),
          );
          return tf.mean(supernet.logits('c', out, noDropout)) as tf.Scalar;
        }, vars);
      });
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x.inputIds, x.tokenTypeIds, x.attentionMask]);
    supernet.dispose();
  });
});
