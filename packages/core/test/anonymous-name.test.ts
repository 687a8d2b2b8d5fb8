import { anonymousFunctionName } from '../src';

describe('one name for unnamed functions', () => {
  test('file name and start line; file only when the start is unknown; bare without a file', () => {
    expect(anonymousFunctionName('/srv/app/src/service.ts', 96)).toBe('(anonymous service.ts:96)');
    expect(anonymousFunctionName('C:\\app\\service.js', 15)).toBe('(anonymous service.js:15)');
    expect(anonymousFunctionName('/srv/app/src/service.ts')).toBe('(anonymous service.ts)');
    expect(anonymousFunctionName('/srv/app/src/service.ts', 0)).toBe('(anonymous service.ts)');
    expect(anonymousFunctionName('')).toBe('(anonymous)');
  });
});
