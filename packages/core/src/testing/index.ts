export { randomModel, randomWeights, tinyConfig } from './randomModel.ts';
