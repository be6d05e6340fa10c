import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.ts';

// No mocks: the optional native bindings are whatever this machine's install left. Under vitest a
// missing package fails with Vite's wording, not Node's ERR_MODULE_NOT_FOUND; it must still read as
// "not installed" (nothing to say), not as a broken install in the backend line every view shows.
describe('backend auto-detection with the real optional dependencies', () => {
  it('names a native binding only when it is installed', async () => {
    const info = await initBackend();
    expect(info.description).not.toMatch(/Failed to load url|Does the file exist/);
    if (info.name === 'wasm') expect(info.description).toMatch(/^wasm \((no )?SIMD, \d+ threads?\)(; tensorflow unusable: .*installed.*)?$/);
  });
});
