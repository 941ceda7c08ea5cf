/** LaNAS learned partition tree over feature vectors: the public surface. */
export {
  type ClassifierOptions,
  DEFAULT_CLASSIFIER_OPTIONS,
  type LogisticModel,
  predictGood,
  trainClassifier,
} from './classifier';
export {
  type Candidate,
  type CandidateGenerator,
  type ConstrainedDraw,
  DEFAULT_MAX_TRIES,
  type NeighbourGenerator,
  pathAccepts,
  sampleOnPath,
  sampleUnseen,
} from './constrained';
export { architectureNeighbour, type NeighbourOptions } from './neighbour';
export {
  DEFAULT_LANAS_OPTIONS,
  type LanasOptions,
  LanasSampler,
  rebuildPoint,
  validateLanasOptions,
} from './sampler';
export {
  buildTree,
  classifiesGood,
  type LanasNode,
  type LanasSample,
  meanReward,
  median,
  observe,
  type TreeOptions,
  treeHeight,
} from './tree';
export { childScores, type PathStep, selectPath, ucbScore } from './ucb';
