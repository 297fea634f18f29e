import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

// The dashboard is served by the ForgeBase server at /_/ (packages/server/src/http/routes/dashboard.ts):
// hashed files under /_/assets/ are cached for a year, index.html is revalidated on every load.
export default defineConfig({
  base: '/_/',
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    reportCompressedSize: true,
    chunkSizeWarningLimit: 150,
  },
  server: {
    proxy: { '/api': process.env.FORGEBASE_URL ?? 'http://127.0.0.1:8090' },
  },
});
