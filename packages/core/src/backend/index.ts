export { initBackend, backendInfo, BACKEND_ENV } from './initBackend.ts';
export { BACKEND_NAMES } from './candidates.ts';
export type { BackendInfo, BackendName } from './candidates.ts';
export { BackendError } from './errors.ts';
