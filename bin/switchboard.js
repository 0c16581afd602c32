#!/usr/bin/env node
// The installed command. It runs the compiled command line; `npm run build` (run by `npm install`
// and `npm start`) produces it.
import '../dist/cli/main.js';
