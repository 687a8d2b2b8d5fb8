import { parseStack } from '../src/stack-capture';

test("lock stacks name unnamed functions by Vigil's one rule: (anonymous <file>), never a bare (anonymous)", () => {
  const stack = [
    'Error',
    '    at /srv/app/dist/service.js:96:45',
    '    at Array.map (<anonymous>)',
    '    at <anonymous> (/srv/app/dist/routes.js:12:3)',
    '    at handle (/srv/app/dist/service.js:40:7)',
  ].join('\n');
  expect(parseStack(stack, 10).map((f) => f.name)).toEqual(['(anonymous service.js)', 'Array.map', '(anonymous routes.js)', 'handle']);
});
