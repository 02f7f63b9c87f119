import { recordOf } from './record-of';

describe('recordOf', () => {
  it('keeps keys that would be special on a plain object', () => {
    const record = recordOf(['__proto__', 'constructor', 'a'], [1, 2, 3]);
    expect(JSON.parse(JSON.stringify(record))).toEqual(
      JSON.parse('{"__proto__": 1, "constructor": 2, "a": 3}'),
    );
    expect(Object.keys(record)).toEqual(['__proto__', 'constructor', 'a']);
  });
});
