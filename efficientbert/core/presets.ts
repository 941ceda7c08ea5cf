/**
 * The scale presets' names, one list for every layer: the student shapes (space/presets.ts), the
 * search plans (search/plan/presets.ts) and the request types (search/spec.ts) all key on it.
 */
export const PRESET_NAMES = ['tiny', 'small', 'paper'] as const;

export type PresetName = (typeof PRESET_NAMES)[number];

export function isPresetName(name: unknown): name is PresetName {
  return typeof name === 'string' && (PRESET_NAMES as readonly string[]).includes(name);
}
