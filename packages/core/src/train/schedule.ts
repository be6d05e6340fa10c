/**
 * Learning rate at each step: linear warm-up from 0 to `peak` over `warmupSteps`, then a
 * cosine decay to `peak * minRatio` at `totalSteps` (GPT-style). Steps count from 0.
 */
export interface ScheduleOptions {
  peak: number;
  warmupSteps: number;
  totalSteps: number;
  /** Final learning rate as a fraction of the peak (default 0.1). */
  minRatio?: number;
}

export function learningRate(step: number, { peak, warmupSteps, totalSteps, minRatio = 0.1 }: ScheduleOptions): number {
  if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  const decaySteps = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / decaySteps);
  const floor = peak * minRatio;
  return floor + 0.5 * (peak - floor) * (1 + Math.cos(Math.PI * progress));
}
