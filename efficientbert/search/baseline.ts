/**
 * The hand-designed baseline a search must beat (the paper's central claim): the base model's
 * plain GELU FFN in every layer, one size for all layers, the largest whose parameter count does
 * not exceed the winner's. It goes through the very final training the winner does, so the two
 * differ only in their FFNs. Pure: the search driver (workflow code) calls it.
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
  const uniform = ALL_SIZES.map((size) => ({
    layers: Array.from({ length: config.layers }, () => plainGeluLayer(size)),
  })).map((arch) => ({ arch, params: countParameters(config, arch) }));
  const within = uniform.filter((c) => c.params <= budget);
  // The smallest plain model is the baseline for a winner below every plain size.
  const pool = within.length > 0 ? within : uniform;
  const pick = within.length > 0 ? Math.max : Math.min;
  const params = pick(...pool.map((c) => c.params));
  return printArchitecture(pool.find((c) => c.params === params)!.arch);
}
