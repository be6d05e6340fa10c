/**
 * `pnpm start`: build the dashboard if its sources changed, then `hooklens serve` the shipped
 * toy models (packages/core/models/*, toy-ioi first: the dashboard opens on it). Extra arguments
 * go to `hooklens serve` (e.g. --port 8080, or --model PATH to serve another checkpoint too).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listShippedModels } from '@hooklens/core/hub';
import { buildClient } from './buildClient.ts';

const FIRST_MODEL = 'toy-ioi';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const cli = [join(repo, 'packages', 'cli', 'bin', 'hooklens.js')];

const { built, reason } = await buildClient({ ifStale: true });
process.stdout.write(built ? `built the dashboard into packages/ui/dist/client (${reason})\n` : 'dashboard up to date (packages/ui/dist/client)\n');

const shipped = listShippedModels().sort((a, b) => Number(b.name === FIRST_MODEL) - Number(a.name === FIRST_MODEL));
const models = shipped.map((model) => model.path);
// `pnpm start -- --port 8080` passes the `--` along; drop it.
const extra = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--'));
const serve = spawn(process.execPath, [...cli, 'serve', ...models.flatMap((m) => ['--model', m]), ...extra], { stdio: 'inherit', cwd: repo });
// A signal sent to this process alone (not the terminal's whole group) must still stop the server.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => serve.kill(signal));
serve.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
