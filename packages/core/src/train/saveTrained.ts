/**
 * Writes a trained model as a complete hooklens checkpoint directory — config.json,
 * model.safetensors, tokenizer.json (+ tokenizer_config.json) and training.json (how it was
 * made and how it scored) — atomically: everything goes into a hidden directory beside `dir`
 * that is renamed into place at the end, so an interruption never leaves a half-written model
 * under the real name. An existing `dir` is replaced only once the new one is complete.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { removeAbandonedSiblings } from '../io/atomicWrite.ts';
import { saveCheckpoint } from '../io/hooklensFormat.ts';
import type { HookedTransformer } from '../model.ts';
import type { Vocabulary } from './vocabulary.ts';
import { writeTokenizerFiles } from './vocabulary.ts';

export function saveTrainedModel(dir: string, model: HookedTransformer, vocabulary: Vocabulary, training: Record<string, unknown>): void {
  const target = resolve(dir);
  // Both names are new and unguessable: mkdtemp creates the staging directory exclusively, so
  // nothing planted beside `dir` can redirect what is written into it.
  const previous = join(dirname(target), `.${basename(target)}.old-${randomBytes(8).toString('hex')}`);
  let staging: string | undefined;
  try {
    // Staging directories of saves killed earlier (kill -9) go first; those of live saves stay.
    removeAbandonedSiblings(target, /^(\d+)\.partial-[A-Za-z0-9]{6}$/);
    staging = mkdtempSync(join(dirname(target), `.${basename(target)}.${process.pid}.partial-`));
    chmodSync(staging, 0o755); // mkdtemp's 0700 would make the finished model private
    saveCheckpoint(staging, model.config, model.exportWeights());
    writeTokenizerFiles(staging, vocabulary);
    writeFileSync(join(staging, 'training.json'), JSON.stringify(training, null, 2) + '\n');
    const replacing = existsSync(target);
    if (replacing) renameSync(target, previous);
    try {
      renameSync(staging, target);
    } catch (error) {
      if (replacing) renameSync(previous, target);
      throw error;
    }
    if (replacing) rmSync(previous, { recursive: true, force: true });
  } catch (error) {
    if (staging !== undefined) rmSync(staging, { recursive: true, force: true });
    throw new Error(`${dir}: cannot write the trained model (${(error as Error).message})`);
  }
}
