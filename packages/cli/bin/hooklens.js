#!/usr/bin/env node
// hooklens ships TypeScript source with no build step: register tsx's loader, then run the CLI.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/main.ts', import.meta.url).href);
