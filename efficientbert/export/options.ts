/** How a model is written to ONNX. Every combination is valid and tested for parity. */
export interface ExportOptions {
  /**
   * Use `com.microsoft` fused operators (Attention, FastGelu, BiasGelu, QuickGelu, and with int8
   * QAttention / DynamicQuantizeMatMul). ONNX Runtime only; the plain graph (false) is standard
   * opset 17 that any runtime can load. SkipLayerNormalization is left out on purpose (slower on
   * the CPU provider, see layer-norm.ts).
   */
  readonly fused: boolean;
  /** Dynamic int8 quantization of every MatMul weight (per output column, symmetric). */
  readonly int8: boolean;
}

export const PLAIN: ExportOptions = { fused: false, int8: false };

/** LayerNorm epsilon of the student (the reference code's BertLayerNorm). */
export const STUDENT_LAYER_NORM_EPS = 1e-12;

/** BERT's additive attention mask value for padded keys. */
export const MASK_FILTER_VALUE = -10000;
