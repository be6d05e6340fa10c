export { randomModel, randomWeights, tinyConfig } from '../src/testing/index.ts';
