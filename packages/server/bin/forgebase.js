#!/usr/bin/env node
// Entry for the `forgebase` bin: Node 24 runs the TypeScript sources directly. The
// compile cache keeps V8 code (and stripped TypeScript) between runs, so restarts skip
// most of the parsing work; it must be enabled before the first .ts module loads.
import module from 'node:module';

module.enableCompileCache?.();
await import('../src/main.ts');
