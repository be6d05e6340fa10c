export * from './common.ts';
export * from './models.ts';
export * from './analysis.ts';
export * from './jobs.ts';
export * from './routes.ts';
