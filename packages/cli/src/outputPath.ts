import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CliError } from './errors.ts';

/** Fails before any work if `path` cannot be written: its folder is missing or read-only, or it is a folder. */
export function checkWritable(path: string): void {
  const folder = dirname(resolve(path));
  let isFolder: boolean;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch {
    throw new CliError(`${path}: cannot write, folder ${folder} does not exist`);
  }
  if (!isFolder) throw new CliError(`${path}: cannot write, ${folder} is not a folder`);
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    throw new CliError(`${path}: cannot write, folder ${folder} is not writable`);
  }
  try {
    if (statSync(path).isDirectory()) throw new CliError(`${path}: is a folder; --out needs a file name`);
  } catch (error) {
    if (error instanceof CliError) throw error;
  }
}
