/**
 * The hostile inputs of issue 16, each sent to a real viewer process: prints the status, how long
 * the answer took, the viewer's RSS growth and the slowest `/info` answer while it was busy.
 * Usage (from apps/viewer): node --import tsx bench/hostile-inputs.ts [regexp of input names]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { decompress } from 'fzstd';
import { hostileZstdWindowFrame, stringTableBomb, wellFramedJunk } from '../test/helpers/hostile';
import { datadogUpload, pyroscopeUpload } from '../test/helpers/uploads';

interface Answer { status: number; ms: number }

function post(base: string, path: string, body: Buffer, headers: Record<string, string>): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(`${base}${path}`, { method: 'POST', headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Math.round(performance.now() - started) }));
    });
    req.on('error', () => resolve({ status: -1, ms: Math.round(performance.now() - started) }));
    req.end(body);
  });
}

function rssBytes(pid: number): number {
  let status = '';
  try { status = readFileSync(`/proc/${pid}/status`, 'utf8'); } catch { return 0; } // the viewer died
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** Optional argument: a regular expression picking the inputs to send (all by default). */
const wanted = new RegExp(process.argv[2] ?? '');

async function measure(base: string, pid: number, label: string, send: () => Promise<Answer>): Promise<void> {
  if (!wanted.test(label)) return;
  const rssBefore = rssBytes(pid);
  let rssPeak = rssBefore;
  let infoWorstMs = 0;
  let busy = true;
  const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, rssBytes(pid)); }, 20);
  const prober = (async () => {
    while (busy) {
      const started = performance.now();
      await new Promise<void>((done) => request(`${base}/info`, (res) => { res.resume(); res.on('end', () => done()); }).on('error', () => done()).end());
      infoWorstMs = Math.max(infoWorstMs, performance.now() - started);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const answer = await send();
  busy = false;
  await prober;
  clearInterval(sampler);
  const grewMb = ((rssPeak - rssBefore) / 1048576).toFixed(0);
  console.log(`${label.padEnd(58)} status ${answer.status}  ${String(answer.ms).padStart(6)} ms  RSS +${grewMb.padStart(5)} MB  worst /info ${infoWorstMs.toFixed(0)} ms`);
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-hostile-'));
  // The built viewer (what `vigil serve` runs) when there is one, else the sources through tsx.
  const built = join(__dirname, '../dist/main.js');
  const entry = existsSync(built) ? [built] : ['--import', 'tsx', join(__dirname, '../test/fixtures/viewer-process.ts')];
  const child = spawn(process.execPath, [...entry, '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const base = await new Promise<string>((resolve) => child.stdout!.on('data', (d: Buffer) => { const m = /(http:\/\/[^\s]+)/.exec(d.toString()); if (m) resolve(m[1]!); }));
  const pid = child.pid!;
  const now = Date.now();
  const dd = (profile: Buffer) => { const u = datadogUpload({ wall: profile }, { startMs: now - 60_000, endMs: now }); return () => post(base, '/profiling/v1/input', u.body, { 'content-type': u.contentType }); };
  try {
    await measure(base, pid, 'zstd frame asking for a 1.88 GiB window (10 bytes)', dd(hostileZstdWindowFrame(1)));
    await measure(base, pid, 'the same with 400 one-byte blocks', dd(hostileZstdWindowFrame(400)));
    const py = pyroscopeUpload(hostileZstdWindowFrame(1));
    await measure(base, pid, `Pyroscope upload of the same kind (${py.body.length} B)`, () => post(base, '/ingest?name=app', py.body, { 'content-type': py.contentType }));
    const junk = gzipSync(wellFramedJunk(60 * 1048576), { level: 9 });
    await measure(base, pid, `${(junk.length / 1024).toFixed(0)} KB gzip inflating to 60 MiB of well-framed junk`, dd(junk));
    await measure(base, pid, `OTLP request: the same ${(junk.length / 1024).toFixed(0)} KB of junk`, () => post(base, '/v1development/profiles', junk, { 'content-type': 'application/x-protobuf' }));
    const bomb = gzipSync(stringTableBomb(60 * 1048576), { level: 9 });
    for (let i = 0; i < 3; i++) await measure(base, pid, `${(bomb.length / 1024).toFixed(0)} KB part holding one 60 MiB string (#${i + 1})`, dd(bomb));
    // Slowloris: 8 connections trickle a body; then an honest upload.
    const sockets = Array.from({ length: 8 }, () => {
      const url = new URL(base);
      const s = connect(Number(url.port), url.hostname);
      s.on('error', () => undefined);
      s.write(`POST /profiling/v1/input HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n`);
      const trickle = setInterval(() => s.write('x'), 1000);
      s.on('close', () => clearInterval(trickle));
      return { s, trickle };
    });
    await new Promise((r) => setTimeout(r, 1500));
    const honest = datadogUpload({ wall: readFileSync(join(__dirname, '../test/fixtures/wall.pprof.zst')) }, { startMs: now - 60_000, endMs: now });
    await measure(base, pid, 'honest upload while 8 connections send 1 byte/s', () => post(base, '/profiling/v1/input', honest.body, { 'content-type': honest.contentType }));
    for (const { s, trickle } of sockets) { clearInterval(trickle); s.destroy(); }
    await measure(base, pid, 'cross-origin browser POST (Origin: http://localhost:3000)', () => post(base, '/profiling/v1/input', honest.body, { 'content-type': honest.contentType, origin: 'http://localhost:3000', 'sec-fetch-site': 'same-site' }));
    const raw = Buffer.from(decompress(readFileSync(join(__dirname, '../test/fixtures/wall.pprof.zst'))));
    {
      const cut = truncatedBetweenFields(raw);
      await measure(base, pid, `raw pprof cut between fields (${cut.length} of ${raw.length} B)`, () => post(base, '/ingest?name=app&format=pprof', cut, { 'content-type': 'application/octet-stream' }));
    }
  } finally {
    child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The profile without its last top-level field: framing intact, content missing. */
function truncatedBetweenFields(raw: Buffer): Buffer {
  let pos = 0;
  let lastStart = 0;
  const varint = () => { let v = 0; let shift = 0; for (;;) { const b = raw[pos++]!; v += (b & 0x7f) * 2 ** shift; shift += 7; if (!(b & 0x80)) return v; } };
  while (pos < raw.length) {
    lastStart = pos;
    const key = varint();
    const wire = key % 8;
    if (wire === 0) varint(); else if (wire === 1) pos += 8; else if (wire === 5) pos += 4; else pos += varint();
  }
  return raw.subarray(0, lastStart);
}

main().catch((error: unknown) => { console.error(error); process.exitCode = 1; });
