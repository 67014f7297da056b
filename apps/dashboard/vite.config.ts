import tailwindcss from '@tailwindcss/vite';
import { tanstackRouter } from '@tanstack/router-plugin/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** Where `pnpm dev` finds the API (the server started beside Vite's dev server). */
const api = process.env.SWITCHBOARD_API ?? 'http://127.0.0.1:3000';

export default defineConfig({
  // The server serves the built app under /app.
  base: '/app/',
  // The router plugin goes before react(), or code splitting silently fails.
  plugins: [tanstackRouter({ target: 'react', autoCodeSplitting: true }), react(), tailwindcss()],
  server: { port: 5173, proxy: { '/trpc': api, '/api': api } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
});
