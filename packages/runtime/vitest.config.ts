import { defineConfig } from 'vitest/config';

// One file at a time: the packed-tarball check installs with npm, which would otherwise share the
// CPU with the timing assertions (a change within a second, an error within `timeoutMs`).
export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 60_000, fileParallelism: false } });
