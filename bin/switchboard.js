#!/usr/bin/env node
// The installed command. It runs the compiled command line; `npm run build` (run by `npm pack`
// before the package is published, and by `npm start` in a clone) produces it.
import '../dist/cli/main.js';
