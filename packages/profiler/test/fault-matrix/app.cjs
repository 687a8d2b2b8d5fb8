// A plain CommonJS app for the fault matrix, run under the preload. It works for FAULT_APP_PERIODS
// periods of FAULT_APP_PERIOD_MS (CPU and short-lived garbage each 50 ms tick, or, with
// FAULT_APP_BUSY_CHUNK_MS, back-to-back synchronous chunks that starve the event loop), prints one
// last line with its RSS after the second period and at the end, and lets the loop drain with
// exit code 7, which must come out unchanged.
const periodMs = Number(process.env.FAULT_APP_PERIOD_MS);
const periods = Number(process.env.FAULT_APP_PERIODS);
const busyChunkMs = Number(process.env.FAULT_APP_BUSY_CHUNK_MS || 0);
const endAtMs = Date.now() + periodMs * periods;

function burn(ms) {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  return x;
}

let rssAfterSecondPeriod = 0;
setTimeout(() => (rssAfterSecondPeriod = process.memoryUsage().rss), periodMs * 2);

function finish() {
  process.exitCode = 7;
  process.stdout.write(`done rss2=${rssAfterSecondPeriod} rssEnd=${process.memoryUsage().rss}\n`);
}

if (busyChunkMs > 0) {
  const step = () => {
    burn(busyChunkMs);
    if (Date.now() < endAtMs) setImmediate(step);
    else finish();
  };
  setImmediate(step);
} else {
  const ticker = setInterval(() => {
    burn(5);
    const garbage = Array.from({ length: 500 }, (_, i) => ({ i, text: `item ${i}` }));
    if (garbage.length !== 500) throw new Error('unreachable');
  }, 50);
  setTimeout(() => {
    clearInterval(ticker);
    finish();
  }, endAtMs - Date.now());
}
