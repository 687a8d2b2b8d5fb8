#!/usr/bin/env node
// The `vigil` command. A committed file rather than dist/bin.js itself, so package managers can
// link the bin at install time, before anything is built (pnpm warned "Failed to create bin").
require('../dist/bin.js');
