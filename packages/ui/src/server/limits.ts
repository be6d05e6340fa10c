/**
 * What one request may cost, checked before any work (see API.md, "Limits"). Every model route
 * states its cost from the model and the validated body alone (RequestCost); checkCost compares
 * it with the server's limits, derived from the machine's memory at start, and refuses with a
 * 413 naming the field most responsible and the limit. app.ts registers no model route without
 * a cost function, so a new route cannot skip the check.
 */
import { totalmem } from 'node:os';
import { HttpError } from './httpError.ts';

export interface RequestLimits {
  /** Bytes of tensors one request (or one job's working set) may hold at once. */
  tensorBytes: number;
  /** Bytes of one JSON reply (a job's result included). */
  replyBytes: number;
  /** Forward runs (cells) one job may plan. */
  jobCells: number;
}

/** One contribution to a cost, and the request field that controls it. */
export interface CostPart {
  field: string;
  amount: number;
  /** How the amount comes about, for the error message ("12 heads × 1024 × 1024"). */
  detail?: string;
}

/** What a request will cost, stated by its route from the model and the body, before any work. */
export interface RequestCost {
  /** Tensor bytes held at the peak, from the model's estimateCacheBytes. */
  tensorBytes: CostPart[];
  /** Numbers and token labels in the reply. */
  replyValues: CostPart[];
  /** Forward runs of a job. */
  cells?: CostPart[];
}

/** A JSON number (0.123456789012345, with its comma) or a short token label with its quotes and key. */
export const REPLY_BYTES_PER_VALUE = 24;
/** Memory one planned cell takes until its job's result is fetched (plan, index, value, grid, reply). */
export const BYTES_PER_CELL = 512;
/** Replies above this are unusable in a browser whatever the machine. */
const MAX_REPLY_BYTES = 64 * 2 ** 20;

/**
 * The limits for a machine with `memory` bytes (default: physical memory, or the container's
 * limit when lower): a request's tensors may take a quarter of it, a reply a sixteenth (at most
 * 64 MiB), and a job may plan as many cells as fit in a quarter at BYTES_PER_CELL each.
 */
export function machineLimits(memory = machineMemory()): RequestLimits {
  const quarter = Math.floor(memory / 4);
  return {
    tensorBytes: quarter,
    replyBytes: Math.min(MAX_REPLY_BYTES, Math.floor(memory / 16)),
    jobCells: Math.floor(quarter / BYTES_PER_CELL),
  };
}

function machineMemory(): number {
  const constrained = process.constrainedMemory?.() ?? 0;
  const total = totalmem();
  // constrainedMemory() is 0 or a huge number when no container limit is set.
  return constrained > 0 && constrained < total ? constrained : total;
}

/** Refuses (413) a request whose cost is over a limit, naming the field that contributes most. */
export function checkCost(cost: RequestCost, limits: RequestLimits): void {
  const tensorBytes = sum(cost.tensorBytes);
  if (tensorBytes > limits.tensorBytes) {
    refuse(cost.tensorBytes, `its tensors would take about ${formatBytes(tensorBytes)}`, `${formatBytes(limits.tensorBytes)} per request`, limits.tensorBytes);
  }
  if (cost.cells) {
    const cells = sum(cost.cells);
    if (cells > limits.jobCells) refuse(cost.cells, `the job would run ${cells.toLocaleString('en-US')} forward passes (cells)`, `${limits.jobCells.toLocaleString('en-US')} cells per job`, limits.jobCells);
  }
  const replyBytes = sum(cost.replyValues) * REPLY_BYTES_PER_VALUE;
  if (replyBytes > limits.replyBytes) {
    refuse(cost.replyValues, `the reply would be about ${formatBytes(replyBytes)} (${sum(cost.replyValues).toLocaleString('en-US')} values)`, `${formatBytes(limits.replyBytes)} per reply`, limits.replyBytes);
  }
}

function refuse(parts: CostPart[], what: string, limitText: string, limit: number): never {
  const worst = parts.reduce((a, b) => (b.amount > a.amount ? b : a));
  const detail = worst.detail ? ` (${worst.field}: ${worst.detail})` : '';
  throw new HttpError(413, `${worst.field}: ${what}${detail}, over this server's limit of ${limitText}; ask for less (see API.md, Limits)`, { field: worst.field, limit });
}

function sum(parts: readonly CostPart[]): number {
  return parts.reduce((total, part) => total + part.amount, 0);
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) (value /= 1024), unit++;
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
