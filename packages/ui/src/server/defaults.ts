/**
 * Where `hooklens serve` listens unless told otherwise, and the shortest token it accepts: its own
 * entry point ("@hooklens/ui/server/defaults"), so the CLI's help names them without loading the
 * server (Express, the API schemas, the models).
 */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7860;
/** Shorter tokens are refused: the token is the only thing guarding a non-loopback server. */
export const MIN_TOKEN_LENGTH = 16;
