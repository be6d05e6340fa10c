/** Models shipped inside the repository (packages/core/models/NAME with a config.json). */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDirectory, isFile } from './cache.ts';

export const SHIPPED_MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

export interface ShippedModel {
  name: string;
  path: string;
}

export function listShippedModels(dir = SHIPPED_MODELS_DIR): ShippedModel[] {
  if (!isDirectory(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((name) => ({ name, path: join(dir, name) }))
    .filter((model) => isFile(join(model.path, 'config.json')));
}

export function shippedModel(name: string, dir = SHIPPED_MODELS_DIR): ShippedModel | undefined {
  return listShippedModels(dir).find((model) => model.name === name);
}
