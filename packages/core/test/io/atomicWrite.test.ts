import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeAbandonedSiblings, STALE_TEMPORARY_MS, writeFileAtomic, writeJsonAtomic } from '../../src/io/atomicWrite.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const STALLED_WRITER = fileURLToPath(new URL('./stalledWriter.ts', import.meta.url));

/** Starts stalledWriter.ts on `target` and resolves once its temporary holds the first chunk. */
function startStalledWriter(target: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', STALLED_WRITER, target], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.stdout!.on('data', (chunk: Buffer) => { if (chunk.toString().includes('writing')) resolve(child); });
    child.on('exit', (code) => reject(new Error(`stalled writer exited (${code}): ${stderr}`)));
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('writeFileAtomic', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'hooklens-atomic-')); });
  afterEach(async () => {
    await Promise.all(children.splice(0).filter((child) => child.exitCode === null && child.signalCode === null).map(killed));
    rmSync(dir, { recursive: true, force: true });
  });
  const leftovers = (name: string) => readdirSync(dir).filter((entry) => entry.startsWith(`.${name}.`));

  it('a symlink planted under the predictable temporary name does not redirect the write', () => {
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'keep me');
    const target = join(dir, 'out.json');
    // The name earlier versions used: .NAME.PID.partial.
    const planted = join(dir, `.out.json.${process.pid}.partial`);
    symlinkSync(victim, planted);
    writeJsonAtomic(target, { a: 1 });
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    expect(JSON.parse(readFileSync(target, 'utf8'))).toEqual({ a: 1 });
    expect(lstatSync(target).isSymbolicLink()).toBe(false);
  });

  it('a symlink at the target itself is replaced, not written through', () => {
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'keep me');
    const target = join(dir, 'out.bin');
    symlinkSync(victim, target);
    writeFileAtomic(target, [new Uint8Array([1, 2, 3])]);
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    expect(lstatSync(target).isSymbolicLink()).toBe(false);
    expect([...readFileSync(target)]).toEqual([1, 2, 3]);
    expect(leftovers('out.bin')).toEqual([]);
  });

  it('two writes in a row use different temporary names', () => {
    // Seen through what a failed write leaves: nothing, and no name is reused (each is random).
    const target = join(dir, 'x');
    const names = new Set<string>();
    for (let i = 0; i < 3; i++) {
      writeFileAtomic(target, (function* () {
        names.add(leftovers('x')[0]);
        yield new Uint8Array(1);
      })());
    }
    expect(names.size).toBe(3);
    for (const name of names) expect(name).toMatch(new RegExp(`^\\.x\\.${process.pid}\\.[0-9a-f]{16}\\.partial$`));
  });

  it('the temporary of a writer killed mid-write is removed by the next write to the same target, a live one is not', async () => {
    const target = join(dir, 'big.safetensors');
    const other = join(dir, 'other.safetensors');
    const live = await startStalledWriter(other);
    children.push(live);
    const dying = await startStalledWriter(target);
    children.push(dying);
    expect(leftovers('big.safetensors')).toHaveLength(1);
    expect(leftovers('other.safetensors')).toHaveLength(1);

    // A concurrent writer of the same target is alive: its temporary stays.
    const racing = await startStalledWriter(target);
    children.push(racing);
    writeFileAtomic(target, [new Uint8Array([9])]);
    expect(leftovers('big.safetensors')).toHaveLength(2);

    await killed(dying);
    await killed(racing);
    writeFileAtomic(target, [new Uint8Array([10])]);
    expect(leftovers('big.safetensors')).toEqual([]);
    expect([...readFileSync(target)]).toEqual([10]);
    // Another target's temporaries are not touched, even once its writer is dead.
    await killed(live);
    expect(leftovers('other.safetensors')).toHaveLength(1);
  });

  it('a stale temporary is removed even when its pid is alive (reused), a fresh one of a live pid is not', () => {
    const target = join(dir, 'model.safetensors');
    const stale = join(dir, `.model.safetensors.${process.pid}.0123456789abcdef.partial`);
    const fresh = join(dir, `.model.safetensors.${process.pid}.fedcba9876543210.partial`);
    writeFileSync(stale, 'old');
    writeFileSync(fresh, 'new');
    const past = (Date.now() - STALE_TEMPORARY_MS - 60_000) / 1000;
    utimesSync(stale, past, past);
    writeFileAtomic(target, [new Uint8Array([1])]);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    // Names that only look alike (another file's, or not a temporary) are never touched.
    for (const name of ['.model.safetensors.backup', '.model.safetensors.x.partial', '.model.safetensors2.1.partial']) {
      const path = join(dir, name);
      writeFileSync(path, '');
      utimesSync(path, past, past);
    }
    writeFileAtomic(target, [new Uint8Array([2])]);
    expect(readdirSync(dir).filter((name) => name !== basename(target)).sort()).toEqual(
      ['.model.safetensors.backup', `.model.safetensors.${process.pid}.fedcba9876543210.partial`, '.model.safetensors.x.partial', '.model.safetensors2.1.partial'].sort());
  });

  it('staging directories of a dead writer go whole, a live writer\'s stay, and a leftover symlink goes without its target', () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!; // exited: its pid names no process now
    const target = join(dir, 'model');
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'keep me');
    const owner = /^(\d+)\.partial-[A-Za-z0-9]{6}$/;
    const abandoned = join(dir, `.model.${dead}.partial-abcDEF`);
    mkdirSync(join(abandoned, 'sub'), { recursive: true });
    writeFileSync(join(abandoned, 'sub', 'model.safetensors'), 'x');
    const live = join(dir, `.model.${process.pid}.partial-XYZ123`);
    mkdirSync(live);
    const link = join(dir, `.model.${dead}.partial-link00`);
    symlinkSync(victim, link);
    removeAbandonedSiblings(target, owner);
    expect(existsSync(abandoned)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(() => lstatSync(link)).toThrow();
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
  });
});
