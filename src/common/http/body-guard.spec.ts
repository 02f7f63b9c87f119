import { UnusableRequest } from '../errors/domain-errors';
import { assertBoundedShape, MAX_BODY_DEPTH, MAX_BODY_VALUES } from './body-guard';

function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

describe('assertBoundedShape', () => {
  it('accepts what the API takes, and values that are not objects', () => {
    expect(() => assertBoundedShape({ session_id: 'x', code: 'y' }, 'request body')).not.toThrow();
    expect(() => assertBoundedShape(nested(MAX_BODY_DEPTH), 'request body')).not.toThrow();
    expect(() => assertBoundedShape(undefined, 'request body')).not.toThrow();
    expect(() => assertBoundedShape('text', 'request body')).not.toThrow();
  });

  it('refuses one level past the bound, and a million levels without overflowing the stack', () => {
    expect(() => assertBoundedShape(nested(MAX_BODY_DEPTH + 1), 'request body')).toThrow(
      new UnusableRequest(`The request body is nested more than ${MAX_BODY_DEPTH} levels deep`),
    );
    expect(() => assertBoundedShape(nested(1_000_000), 'request body')).toThrow(UnusableRequest);
  });

  it('counts keys and items over every level', () => {
    const wide = Object.fromEntries(Array.from({ length: MAX_BODY_VALUES }, (_, i) => [i, i]));
    expect(() => assertBoundedShape(wide, 'query string')).not.toThrow();
    expect(() => assertBoundedShape({ ...wide, more: [1] }, 'query string')).toThrow(
      new UnusableRequest(`The query string holds more than ${MAX_BODY_VALUES} values`),
    );
    expect(() => assertBoundedShape(new Array(MAX_BODY_VALUES + 1).fill(0), 'x')).toThrow(
      UnusableRequest,
    );
  });

  it('walks null-prototype objects (multer fields) too', () => {
    const fields = Object.assign(Object.create(null) as object, { sheet: nested(40) });
    expect(() => assertBoundedShape(fields, 'request body')).toThrow(UnusableRequest);
  });
});
