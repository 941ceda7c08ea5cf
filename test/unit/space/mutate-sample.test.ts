import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Prng } from '../../../efficientbert/core/prng';
import type { Architecture } from '../../../efficientbert/space/ast';
import { linearName } from '../../../efficientbert/space/linear-names';
import { mutateLayer } from '../../../efficientbert/space/mutate';
import { countParameters } from '../../../efficientbert/space/params';
import { PRESETS } from '../../../efficientbert/space/presets';
import { printArchitecture, printLayer } from '../../../efficientbert/space/print';
import { PLAIN_SEEDS, STAGE1_BEST, STAGE2_BEST } from '../../../efficientbert/space/published';
import {
  BudgetError,
  PAPER_BUDGET,
  sampleArchitecture,
  stage1Plan,
  stage2Plan,
  stage3Plan,
} from '../../../efficientbert/space/sample';
import { checkArchitecture, validateLayer } from '../../../efficientbert/space/validate';

const paper = PRESETS.paper;

describe('mutateLayer', () => {
  it('is deterministic for the same PRNG state and differs across seeds', () => {
    const draw = (seed: number) => {
      const rng = Prng.fromSeed(seed);
      return Array.from({ length: 20 }, (_, i) => printLayer(mutateLayer(PLAIN_SEEDS[i % 16]!, rng)));
    };
    assert.deepEqual(draw(3), draw(3));
    assert.notDeepEqual(draw(3), draw(4));
  });

  it('always returns a valid layer of the seed size, and mostly a new one', () => {
    const rng = Prng.fromSeed(11);
    const outputs = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const seed = PLAIN_SEEDS[i % 16]!;
      const layer = mutateLayer(seed, rng);
      assert.deepEqual(validateLayer(layer), { ok: true }, printLayer(layer));
      assert.equal(linearName(layer), linearName(seed));
      outputs.add(printLayer(layer));
    }
    assert.ok(outputs.size > 200, `only ${outputs.size} distinct mutations in 400`);
  });

  it('returns the seed when no valid mutation is found within maxTries', () => {
    const seed = PLAIN_SEEDS[5]!;
    assert.equal(mutateLayer(seed, Prng.fromSeed(1), { maxTries: 0 }), seed);
  });
});

describe('sampleArchitecture', () => {
  it('stage 1 stays inside the parameter budget, deterministically', () => {
    const draw = (seed: number) => {
      const rng = Prng.fromSeed(seed);
      return Array.from({ length: 10 }, () => sampleArchitecture(rng, paper, stage1Plan(PAPER_BUDGET)));
    };
    const archs = draw(5);
    assert.deepEqual(archs.map(printArchitecture), draw(5).map(printArchitecture));
    for (const arch of archs) {
      const n = countParameters(paper, arch);
      assert.ok(n >= 15e6 && n <= 16e6, `${n} outside [15 M, 16 M]`);
      assert.deepEqual(checkArchitecture(arch, 6), { ok: true });
    }
  });

  it('fails clearly when the budget cannot be met', () => {
    const plan = { ...stage1Plan({ min: 1e6, max: 2e6 }), maxTries: 5 };
    assert.throws(() => sampleArchitecture(Prng.fromSeed(1), paper, plan), BudgetError);
    assert.throws(() => sampleArchitecture(Prng.fromSeed(1), paper, plan), /after 5 draws/);
  });

  it('stage 2 keeps the sizes and stage 3 keeps the expressions of the base', () => {
    const rng = Prng.fromSeed(9);
    const sizes = (a: Architecture) => a.layers.map(linearName);
    const exprs = (a: Architecture) => a.layers.map((l) => printLayer({ ...l, stack: 1, ratio: 1 }));
    for (let i = 0; i < 10; i++) {
      const s2 = sampleArchitecture(rng, paper, stage2Plan(STAGE1_BEST));
      assert.deepEqual(sizes(s2), sizes(STAGE1_BEST));
      assert.deepEqual(checkArchitecture(s2, 6), { ok: true });
      const s3 = sampleArchitecture(rng, paper, stage3Plan(STAGE2_BEST, PAPER_BUDGET));
      assert.deepEqual(exprs(s3), exprs(STAGE2_BEST));
      const n = countParameters(paper, s3);
      assert.ok(n >= 15e6 && n <= 16e6);
    }
  });

  it("stage 3 draws each layer's stage-2 size twice as often as any other", () => {
    const plan = stage3Plan(STAGE2_BEST);
    for (const [l, layer] of STAGE2_BEST.layers.entries()) {
      const names = plan.seedsFor(l).map(linearName);
      const own = linearName(layer);
      assert.equal(names.filter((n) => n === own).length, 2, `layer ${l}`);
      for (const other of new Set(names.filter((n) => n !== own)))
        assert.equal(names.filter((n) => n === other).length, 1, `layer ${l} ${other}`);
    }
  });
});
