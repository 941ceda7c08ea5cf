/**
 * Linear warm-up over the first `warmupFraction` of the steps, then linear decay to 0 (Hugging
 * Face's get_linear_schedule_with_warmup, which the reference uses): step k (0-based) runs at
 * peak·k/warmup during warm-up, so the very first step has learning rate 0.
 */
export function linearWarmupDecay(
  step: number,
  totalSteps: number,
  peakLr: number,
  warmupFraction = 0.1,
): number {
  const warmup = Math.floor(totalSteps * warmupFraction);
  if (step < warmup) return (peakLr * step) / Math.max(1, warmup);
  return peakLr * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmup));
}
