import type { TeacherConfig } from '../../efficientbert/model/teacher-config';
import type { Architecture } from '../../efficientbert/space/ast';
import { intermediateWidth, type StudentConfig } from '../../efficientbert/space/presets';

/**
 * Matmul FLOPs (2·m·n·k) of one forward pass per token; elementwise ops are not counted. Per
 * layer: q/k/v/output projections 2·4H², scores and context 2·2·L·H, and the FFN linears.
 */
export function studentForwardFlopsPerToken(config: StudentConfig, arch: Architecture, seq: number): number {
  const h = config.hidden;
  let flops = 2 * 3 * config.embed * h;
  for (const layer of arch.layers) {
    const i = intermediateWidth(config, layer.ratio);
    flops += 2 * 4 * h * h + 2 * 2 * seq * h + layer.stack * 2 * (2 * h * i);
  }
  // fit_dense on the embedding output and every layer, for the hidden-state KD terms.
  return flops + (arch.layers.length + 1) * 2 * h * config.teacherHidden;
}

export function teacherForwardFlopsPerToken(config: TeacherConfig, seq: number): number {
  const h = config.hidden;
  return config.layers * (2 * 4 * h * h + 2 * 2 * seq * h + 2 * 2 * h * config.intermediate);
}
