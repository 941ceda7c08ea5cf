import type { BinaryOp, UnaryOp } from '../space/ast';
import { fastTanh, geluTanh } from './layers';
import * as tf from './tf';

/** The search space's 7 activations (spec §1.1), as tfjs ops. */
export function applyUnary(op: UnaryOp, x: tf.Tensor): tf.Tensor {
  switch (op) {
    case 'gelu':
      return geluTanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return fastTanh(x);
    case 'relu':
      return tf.relu(x);
    case 'leaky_relu':
      return tf.leakyRelu(x, 0.01);
    case 'elu':
      return tf.elu(x);
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
  }
}

export function applyBinary(op: BinaryOp, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  switch (op) {
    case 'add':
      return tf.add(a, b);
    case 'mul':
      return tf.mul(a, b);
    case 'max':
      return tf.maximum(a, b);
  }
}
