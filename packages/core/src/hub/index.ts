export { SHORT_NAMES, parseHubName, shortName, shortNamesFor, type HubTarget, type HubFile } from './names.ts';
export { hubCacheDir, repoCacheDir, cachedSnapshot } from './cache.ts';
export { resolveModel, resolveModelPath, type ResolvedModel, type ResolveOptions } from './resolve.ts';
export { listShippedModels, SHIPPED_MODELS_DIR, type ShippedModel } from './shipped.ts';
export { pullModel, defaultHubUrl, DEFAULT_HUB_URL, type PullOptions, type PullProgress, type PullResult, type PulledRepo } from './pull.ts';
export { listCachedModels, type CachedModel, type CacheListing } from './list.ts';
export { HubError } from './errors.ts';
