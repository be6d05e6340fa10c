/** The requested tfjs backend cannot be used; the message says why and what to do. */
export class BackendError extends Error {
  override name = 'BackendError';
}
