import { readFileSync } from 'node:fs';
import { CliError } from './errors.ts';

/**
 * Reads a batch of token ids from a JSON file: [[id, …], …] with equal-length rows
 * (a flat [id, …] is one row). Vocabulary and n_ctx limits are the model's to check.
 */
export function readTokensFile(path: string): number[][] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`${path}: cannot read tokens file (${code === 'ENOENT' ? 'no such file' : code ?? String(error)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${path}: tokens file is not valid JSON (${(error as Error).message}); expected [[id, …], …]`);
  }
  return checkTokenRows(parsed, path);
}

export function checkTokenRows(parsed: unknown, path: string): number[][] {
  if (!Array.isArray(parsed) || parsed.length === 0) throw new CliError(`${path}: expected a non-empty JSON array of rows [[id, …], …]`);
  const rows = parsed.every((item) => typeof item === 'number') ? [parsed as unknown[]] : (parsed as unknown[]);
  rows.forEach((row, index) => {
    if (!Array.isArray(row)) throw new CliError(`${path}: row ${index} is not an array of token ids`);
    if (row.length === 0) throw new CliError(`${path}: row ${index} is empty`);
    if (row.length !== (rows[0] as unknown[]).length) {
      throw new CliError(`${path}: ragged batch: row ${index} has ${row.length} tokens but row 0 has ${(rows[0] as unknown[]).length}; all rows must have the same length`);
    }
    row.forEach((id, position) => {
      if (typeof id !== 'number' || !Number.isInteger(id)) {
        throw new CliError(`${path}: row ${index}, position ${position}: ${JSON.stringify(id)} is not an integer token id`);
      }
    });
  });
  return rows as number[][];
}
