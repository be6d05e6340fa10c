#!/usr/bin/env node
import { runCli } from './cli.ts';

// exitCode rather than process.exit(): piped stdout is written asynchronously and must drain first.
process.exitCode = await runCli(process.argv.slice(2));
