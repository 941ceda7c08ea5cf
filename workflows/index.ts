// Workflow code entry point (bundled by the worker): only pure imports below this file.
export { searchWorkflow } from './search';
export { stageWorkflow } from './stage';
