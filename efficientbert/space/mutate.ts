import type { Prng } from '../core/prng';
import { BINARY_OPS, type BinaryOp, type Expr, type LayerArch, UNARY_OPS, type UnaryOp } from './ast';
import { replaceAt, treeSize } from './tree';
import { validateLayer } from './validate';

/**
 * DEAP-style mutation of one layer (spec §1.2 `sample_individual`): from a seed, apply uniform
 * subtree mutation, node replacement and insertion in that order (the reference's ephemeral
 * mutation does nothing: there are no constants), keep the result if it is valid, else start over
 * from the seed; after `maxTries` failures the seed itself is returned.
 *
 * Differences from DEAP, none of which removes a valid outcome: the `wb1`/`wb2` terminals are not
 * mutation points, and new nodes are never linears, because both can only produce invalid trees
 * (a third linear, or a weight used as a value) or, with negligible odds, the tree unchanged.
 * So a mutation never changes the layer's size: sizes come from the seed.
 */
export interface MutationOptions {
  /** Attempts before giving up and returning the seed: 1000 in stage 1, 400 in stage 2. */
  readonly maxTries?: number;
  /** Largest height of a subtree grown by uniform mutation (DEAP genFull, min 0). Default 3. */
  readonly maxSubtreeHeight?: number;
}

export const STAGE1_MUTATION_TRIES = 1000;
export const STAGE2_MUTATION_TRIES = 400;

const PRIMITIVES: readonly (UnaryOp | BinaryOp)[] = [...UNARY_OPS, ...BINARY_OPS];
const isUnary = (op: UnaryOp | BinaryOp): op is UnaryOp => (UNARY_OPS as readonly string[]).includes(op);
const X: Expr = { kind: 'x' };

/**
 * A full tree of exactly `height` over activations and add/mul/max with `x` leaves (DEAP genFull:
 * every leaf at the same depth, each inner node a uniformly drawn primitive).
 */
export function growFull(rng: Prng, height: number): Expr {
  if (height === 0) return X;
  const op = rng.pick(PRIMITIVES);
  if (isUnary(op)) return { kind: 'unary', op, arg: growFull(rng, height - 1) };
  const left = growFull(rng, height - 1);
  const right = growFull(rng, height - 1);
  return { kind: 'binary', op, left, right };
}

/** mutUniform: replaces a random subtree (the root included) by a full tree of height 0..max. */
export function mutateUniform(expr: Expr, rng: Prng, maxSubtreeHeight = 3): Expr {
  const index = rng.int(treeSize(expr));
  const height = rng.int(maxSubtreeHeight + 1);
  return replaceAt(expr, index, () => growFull(rng, height));
}

/**
 * mutNodeReplacement: a random node other than the root becomes another primitive of its arity
 * (possibly the same one). Leaves and linears have no valid alternative and stay as they are.
 */
export function mutateNodeReplacement(expr: Expr, rng: Prng): Expr {
  const size = treeSize(expr);
  if (size < 2) return expr;
  return replaceAt(expr, 1 + rng.int(size - 1), (node) => {
    if (node.kind === 'unary') return { ...node, op: rng.pick(UNARY_OPS) };
    if (node.kind === 'binary') return { ...node, op: rng.pick(BINARY_OPS) };
    return node;
  });
}

/**
 * mutInsert: a new primitive goes above a random subtree, which becomes one of its arguments (at a
 * random position); a binary primitive's other argument is the terminal `x`.
 */
export function mutateInsert(expr: Expr, rng: Prng): Expr {
  const index = rng.int(treeSize(expr));
  const op = rng.pick(PRIMITIVES);
  return replaceAt(expr, index, (node) => {
    if (isUnary(op)) return { kind: 'unary', op, arg: node };
    return rng.int(2) === 0
      ? { kind: 'binary', op, left: node, right: X }
      : { kind: 'binary', op, left: X, right: node };
  });
}

/** A valid mutation of `seed` (same size), or `seed` itself after `maxTries` invalid attempts. */
export function mutateLayer(seed: LayerArch, rng: Prng, options: MutationOptions = {}): LayerArch {
  const maxTries = options.maxTries ?? STAGE1_MUTATION_TRIES;
  for (let t = 0; t < maxTries; t++) {
    let expr = mutateUniform(seed.expr, rng, options.maxSubtreeHeight);
    expr = mutateNodeReplacement(expr, rng);
    expr = mutateInsert(expr, rng);
    const candidate = { ...seed, expr };
    if (validateLayer(candidate).ok) return candidate;
  }
  return seed;
}
