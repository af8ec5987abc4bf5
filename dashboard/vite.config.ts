import { defineConfig } from 'vite';

// The server serves index.html at `/` and the bundles under `/_dashboard/` (server/surfaces/http/dashboard.ts).
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: '_dashboard',
    target: 'es2022',
    sourcemap: false,
  },
  server: {
    // `npm run dev:dashboard`: the API of a Tock server on the default port behind Vite's dev server.
    proxy: { '/trpc': 'http://127.0.0.1:8080', '/ping': 'http://127.0.0.1:8080' },
  },
});
