/** GET /api/health: whether the server is well, for a person or a monitor (same access rules as every route). */
import { z } from 'zod';
import { EngineLine } from './models.ts';

export const HealthResponse = z.object({
  status: z.literal('ok'),
  /** What runs the models: the engine and where, e.g. `onnx (CPU, 2 threads)` or `tfjs on wasm (SIMD, 1 thread)` (see EngineLine). */
  backend: EngineLine,
  /** Seconds since the server started. */
  uptimeSeconds: z.number(),
  /** The server process's resident memory, bytes. */
  rssBytes: z.number().int(),
  /** Live tfjs tensors and their bytes (tf.memory()): steady between requests. */
  numTensors: z.number().int(),
  tensorBytes: z.number().int(),
  /** Model calls waiting for or holding the model queue, running jobs included. */
  queueLength: z.number().int(),
  /** Jobs queued or running. */
  activeJobs: z.number().int(),
  /** The per-request limits this server enforces (see API.md, Limits). */
  limits: z.object({ tensorBytes: z.number(), replyBytes: z.number(), jobCells: z.number() }),
});

export type HealthResponse = z.infer<typeof HealthResponse>;
