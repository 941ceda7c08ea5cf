/**
 * Validity of an architecture string before any training: the space's parser and rules
 * (efficientbert/space: one wb1 before one wb2, no nested linears, height 3-7, no consecutive
 * activations, no identical operands, widths) and the preset's layer count.
 */
import { parseArchitecture } from './parse';
import { checkArchitecture as checkRules } from './validate';

/** Undefined when valid, else why not. */
export function checkArchitecture(arch: string, layers: number): string | undefined {
  try {
    const result = checkRules(parseArchitecture(arch), layers);
    return result.ok ? undefined : result.message;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
