/**
 * The search library's public face: what services/, workflows/ and bench/ import. Everything
 * exported here is pure (no Node APIs), so workflow code may import it too.
 */
export * from './candidates';
export * from './driver';
export { type EtaInput, estimateEtaMs } from './eta';
export * from './plan/method';
export * from './plan/presets';
export { validateSearchPlan } from './plan/validate';
export * from './ranking';
export { type SamplerName, samplerFor } from './samplers/select';
export * from './spec';
