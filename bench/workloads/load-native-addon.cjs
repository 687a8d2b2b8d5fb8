// Preload for the cost breakdown: loads the native addon @datadog/pprof (as @vigil/profiler resolves
// it) and does nothing else, to show what the addon alone costs in start-up time and memory.
const { createRequire } = require('node:module');

createRequire(require.resolve('@vigil/profiler/register'))('@datadog/pprof');
