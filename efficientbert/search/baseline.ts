/**
 * The hand-designed baseline a search must beat (the paper's central claim): the base model's
 * plain GELU FFN in every layer, one size for all layers, the smallest with at least the winner's
 * parameters, so a winner that beats it does so at equal or fewer parameters. It goes through the
 * very final training the winner does, so the two differ only in their FFNs. Pure: the search
 * driver (workflow code) calls it.
 */
import type { PresetName } from '../core/presets';
import { ALL_SIZES } from '../space/linear-names';
import { countParameters } from '../space/params';
import { parseArchitecture } from '../space/parse';
import { PRESETS } from '../space/presets';
import { printArchitecture } from '../space/print';
import { plainGeluLayer } from '../space/published';

export function baselineArchitecture(preset: PresetName, winner: string): string {
  const config = PRESETS[preset];
  const budget = countParameters(config, parseArchitecture(winner));
  const bySize = ALL_SIZES.map((size) => ({
    layers: Array.from({ length: config.layers }, () => plainGeluLayer(size)),
  }))
    .map((arch) => ({ arch, params: countParameters(config, arch) }))
    .sort((a, b) => a.params - b.params);
  // A winner above every plain size (it cannot be, at equal FFN sizes) gets the largest.
  const chosen = bySize.find((c) => c.params >= budget) ?? bySize[bySize.length - 1]!;
  return printArchitecture(chosen.arch);
}
