// Builds the dashboard (src/client) into dist/client, which `hooklens serve` serves next to the API.
// `vite` (dev server) proxies /api to a running `hooklens serve` on HOOKLENS_API (default :7860, its default port).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist/client', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      // zod ships comments Rollup cannot place; they are harmless and only flood the log.
      onwarn(warning, warn) {
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('node_modules')) return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: {
      '/api': {
        target: process.env.HOOKLENS_API ?? 'http://127.0.0.1:7860',
        changeOrigin: true,
        // The server refuses cross-origin browsers; through this local proxy the page is same-origin in spirit.
        configure: (proxy) => proxy.on('proxyReq', (req) => req.removeHeader('origin')),
      },
    },
  },
});
