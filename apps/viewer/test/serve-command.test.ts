import { request } from 'node:http';
import { parseServeArgs, serveViewer } from '../src';
import { recordingLogger, tempDataDir } from './helpers/viewer';

test('flags win over VIGIL_VIEWER_* variables, which win over the defaults', () => {
  expect(parseServeArgs([], {})).toEqual({ port: 8126, host: '127.0.0.1', dataDir: './.vigil-data', retentionMb: 1024, maxBodyBytes: 32 * 1024 * 1024 });
  const env = { VIGIL_VIEWER_PORT: '9000', VIGIL_VIEWER_DATA_DIR: '/var/vigil', VIGIL_VIEWER_RETENTION_MB: '50' };
  expect(parseServeArgs(['--port=0', '--host', '0.0.0.0', '--max-body-mb', '2'], env)).toEqual({ port: 0, host: '0.0.0.0', dataDir: '/var/vigil', retentionMb: 50, maxBodyBytes: 2 * 1024 * 1024 });
});

test('a bad variable is one warning and the default; a bad flag is a usage error', () => {
  const warnings: string[] = [];
  expect(parseServeArgs([], { VIGIL_VIEWER_PORT: 'eighty' }, (m) => warnings.push(m)).port).toBe(8126);
  expect(warnings).toEqual(['VIGIL_VIEWER_PORT="eighty" is not an integer in [0, 65535]; using 8126']);
  expect(() => parseServeArgs(['--port', '70000'])).toThrow(/--port 70000: expected an integer in \[0, 65535\]\nUsage: vigil serve/);
  expect(() => parseServeArgs(['--bogus'])).toThrow(/unknown option --bogus/);
  expect(() => parseServeArgs(['--data-dir'])).toThrow(/--data-dir needs a value/);
});

test('serveViewer prints its URL and listens on 127.0.0.1 only by default', async () => {
  const lines: string[] = [];
  const viewer = await serveViewer(['--port', '0', '--data-dir', tempDataDir()], { env: {}, out: (l) => lines.push(l), logger: recordingLogger([]) });
  try {
    expect(viewer.host).toBe('127.0.0.1');
    expect(viewer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines[0]).toBe(`vigil viewer listening on ${viewer.url} (data in ${viewer.dataDir})\n`);
    // Not reachable through another local address (the machine's IPv6 loopback stands in for "not 127.0.0.1").
    const otherAddress = await new Promise<string>((resolve) => {
      const req = request({ host: '::1', port: viewer.port, path: '/api/services', family: 6 }, () => resolve('connected'));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      req.end();
    });
    expect(otherAddress).not.toBe('connected');
    const res = await fetch(`${viewer.url}/api/services`);
    expect(res.status).toBe(200);
  } finally {
    await viewer.close();
  }
});

test('a port already in use is a rejected promise, not a crash', async () => {
  const first = await serveViewer(['--port', '0', '--data-dir', tempDataDir()], { env: {}, out: () => undefined, logger: recordingLogger([]) });
  try {
    await expect(serveViewer(['--port', String(first.port), '--data-dir', tempDataDir()], { env: {}, out: () => undefined, logger: recordingLogger([]) })).rejects.toThrow(/EADDRINUSE/);
  } finally {
    await first.close();
  }
});

test('--token and VIGIL_VIEWER_TOKEN set the token; the flag wins', () => {
  expect(parseServeArgs([], { VIGIL_VIEWER_TOKEN: 'from-env' }).token).toBe('from-env');
  expect(parseServeArgs(['--token', 'from-flag'], { VIGIL_VIEWER_TOKEN: 'from-env' }).token).toBe('from-flag');
  expect(parseServeArgs(['--token=abc'], {}).token).toBe('abc');
  expect(parseServeArgs([], {}).token).toBeUndefined();
});
