// The build writes exactly dist/index.html, dist/assets/app.js and dist/assets/app.css, with
// stable names and no hashes, so that the gateway can embed them at fixed paths and the same
// sources always build the same bytes (`npm run check` verifies both).

import { defineConfig } from 'vitest/config';

export default defineConfig({
  base: '/',
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    cssCodeSplit: false,
    // The page is one module: no preload helper, no polyfill.
    modulePreload: false,
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    // Vite 8 bundles with Rolldown: these are what `rollupOptions` was in earlier versions.
    rolldownOptions: {
      output: {
        entryFileNames: 'assets/app.js',
        chunkFileNames: 'assets/app.js',
        assetFileNames: 'assets/app[extname]',
        codeSplitting: false,
      },
    },
  },
  server: {
    // `npm run dev` against a running gateway (the demo: `audit-gateway demo --bind 127.0.0.1:8123`).
    proxy: {
      '/graphql': process.env.AUDIT_GATEWAY_URL ?? 'http://127.0.0.1:8000',
    },
  },
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
  },
});
