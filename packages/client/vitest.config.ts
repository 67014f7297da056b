import { defineConfig } from 'vitest/config';

// One file at a time: the packed-client check installs with npm and compiles, which would otherwise
// share the CPU with the live server its usage drives (a change event awaited within 5 s).
export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 60_000, fileParallelism: false } });
