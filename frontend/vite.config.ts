/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const backend = 'http://127.0.0.1:8000';

const ANTD_MODULE = /node_modules[\\/](antd|@ant-design|@rc-component)[\\/]/;

// The backend serves dist/ at `/`; these prefixes are its, everything else is the client-side app.
const backendPaths = ['/api', '/graphql', '/healthz', '/readyz'];

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: Object.fromEntries(
      backendPaths.map((path) => [path, { target: backend, changeOrigin: true, ws: path === '/graphql' }]),
    ),
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // The largest chunk is data, not code: Natural Earth's 1:50m countries (the offline basemap), loaded
    // with the first map and cached for good.
    chunkSizeWarningLimit: 800,
    rolldownOptions: {
      output: {
        // Shared chunks are named after their first module; one made mostly of antd is called so.
        chunkFileNames: (chunk) =>
          !chunk.isDynamicEntry && chunk.moduleIds.filter((id) => ANTD_MODULE.test(id)).length * 2 > chunk.moduleIds.length
            ? 'assets/antd-[hash].js'
            : 'assets/[name]-[hash].js',
        // Libraries change far less often than the app, so their chunks stay cached across releases.
        // antd is left to automatic splitting: its core loads with the shell, tables and timelines with
        // the pages that use them (pages are lazy routes).
        codeSplitting: {
          groups: [
            { name: 'react-vendor', test: /node_modules[\\/](react|react-dom|scheduler|react-router)[\\/]/, priority: 30 },
            { name: 'lib-vendor', test: /node_modules[\\/](@tanstack|i18next|react-i18next|dayjs)[\\/]/, priority: 20 },
          ],
        },
      },
    },
  },
  test: {
    // e2e/ holds the browser tests, run by Playwright (npm run e2e), not by vitest.
    include: ['src/**/*.test.{ts,tsx}'],
    environment: 'jsdom',
    globals: true,
    setupFiles: ['./src/test/setup.ts'],
    css: false,
    restoreMocks: true,
    testTimeout: 20_000,
  },
});
