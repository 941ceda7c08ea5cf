/** How the report writes layers: the FFN in math form and the size in model terms. */
import type { Architecture, LayerArch } from '../../efficientbert/space/ast';
import { intermediateWidth, type StudentConfig } from '../../efficientbert/space/presets';
import { mathExpr } from '../../efficientbert/space/print';
import { escapeHtml } from './format';

/** "4 × I=270 (H/2)": X stacked blocks of intermediate width I = floor(F / Y). */
export function layerSize(config: StudentConfig, layer: LayerArch): string {
  const ratio = layer.ratio === 1 ? 'H' : `H/${layer.ratio}`;
  return `${layer.stack} × I=${intermediateWidth(config, layer.ratio)} (${ratio})`;
}

/** An architecture as an HTML ordered list, one layer a line: its size, then its math form. */
export function architectureList(config: StudentConfig, arch: Architecture): string {
  const items = arch.layers.map(
    (layer) =>
      `<li><span class="size">${escapeHtml(layerSize(config, layer))}</span>` +
      `<code>${escapeHtml(mathExpr(layer.expr))}</code></li>`,
  );
  return `<ol class="arch">${items.join('')}</ol>`;
}
