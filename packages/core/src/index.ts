import './chainedOps.ts';
export * from './backend/index.ts';
export { validateConfig, ConfigError, FAMILY_NAMES } from './config.ts';
export type { ModelConfig, NormType, PositionalType, ActivationFunction, RotaryPairing, ModelFamily, QkNorm, NormPlacement } from './config.ts';
export { hostTensor, transpose2d, weightSpecs, validateWeights, WeightError } from './weights.ts';
export type { HostTensor, WeightMap, WeightSpec } from './weights.ts';
export * from './io/index.ts';
export * from './tokenizers/index.ts';
export { HookPoint } from './hooks/hookPoint.ts';
export type { HookFunction, ForwardHook } from './hooks/hookPoint.ts';
export { hookName, hookNamesFor, hookShape, estimateCacheBytes, selectHookNames, blockHookSuffixes, UnknownHookError } from './hooks/names.ts';
export type { HookName, HookFilter, HookSelector, BlockHookSuffix } from './hooks/names.ts';
export { ActivationCache } from './cache.ts';
export { HookedTransformer } from './model.ts';
export type {
  ForwardOptions, LossOptions, GenerateOptions, GenerateResult, GenerateStopReason, CacheBytesEstimate, TokenizeOptions, BatchTokenizeOptions, ReturnType,
} from './model.ts';
export { processWeights, foldLayerNorm, centerWritingWeights, centerUnembed, foldValueBiases } from './process.ts';
export type { ProcessingOptions, ProcessedModel } from './process.ts';
export { TokensError } from './tokens.ts';
export { nearestStrings } from './nearest.ts';
export type { TokensInput } from './tokens.ts';
export { seededRandom } from './sampling.ts';
export { loadModel } from './loadModel.ts';
export { chooseEngine, engineLine, ENGINE_ENV, ENGINE_NAMES, EngineError } from './engine/select.ts';
export { ortAvailability } from './engine/ort.ts';
export { onnxMatMul } from './engine/matMulProbe.ts';
export type { EngineChoice, EngineName } from './engine/select.ts';
export type { LoadModelOptions } from './loadModel.ts';
