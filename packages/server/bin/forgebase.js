#!/usr/bin/env node
// Entry for the `forgebase` bin: Node 24 runs the TypeScript sources directly.
import '../src/main.ts';
