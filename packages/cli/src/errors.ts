/** Bad command line: unknown command or option, missing or malformed value. Exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A problem with the user's input or files that the CLI detected itself. Exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
}
