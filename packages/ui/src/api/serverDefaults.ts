/**
 * Where `hooklens serve` listens unless told otherwise, and the shortest token it accepts. Here,
 * beside the API's schemas, so the CLI's help can name them without loading the server.
 */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7860;
/** Shorter tokens are refused: the token is the only thing guarding a non-loopback server. */
export const MIN_TOKEN_LENGTH = 16;
