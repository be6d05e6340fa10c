/** Loading the checkpoints a server offers (--model PATH … and --models-dir DIR). */
import { chooseEngine, engineLine, initBackend, loadModel } from '@hooklens/core';
import type { BackendName } from '@hooklens/core';
import { assignModelIds, checkpointsIn, ModelRegistry } from './models.ts';
import type { ModelSource, ServedModel } from './models.ts';

export interface LoadModelsOptions {
  /** Checkpoint paths, or sources naming their id and tokenizer (see ModelSource). */
  paths?: readonly (string | ModelSource)[];
  modelsDir?: string;
  tokenizer?: string;
  backend?: BackendName;
}

export async function loadServedModels({ paths = [], modelsDir, tokenizer, backend }: LoadModelsOptions): Promise<ModelRegistry> {
  const all = [...paths, ...(modelsDir ? checkpointsIn(modelsDir) : [])];
  if (all.length === 0) throw new Error(modelsDir ? `no checkpoints found in ${modelsDir}` : 'no models to serve: give --model PATH or --models-dir DIR');
  const info = await initBackend(backend);
  const served: ServedModel[] = [];
  try {
    for (const source of assignModelIds(all)) {
      // --tokenizer, when given, applies to every model; else each model's own.
      const modelTokenizer = tokenizer ?? source.tokenizer;
      const model = await loadModel(source.path, { ...(modelTokenizer !== undefined && { tokenizer: modelTokenizer }), ...(backend !== undefined && { backend }) });
      served.push({ id: source.id, model });
    }
  } catch (error) {
    for (const { model } of served) model.dispose();
    throw error;
  }
  // The engine the models run on (onnx (CPU, 2 threads), or the tfjs backend): the API's and dashboard header's `backend`.
  return new ModelRegistry(served, engineLine(served[0]?.model.engine ?? chooseEngine(), info.description));
}
