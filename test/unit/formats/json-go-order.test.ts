/**
 * parseJsonGoOrder: the value JSON.parse gives, except that a key written twice in one object sits at
 * its last place (where Go's encoding/json assigns it last), at any depth; invalid JSON throws
 * JSON.parse's own error.
 */
import { describe, expect, it } from 'vitest';
import { parseJsonGoOrder } from '../../../src/json-object.js';

describe('parseJsonGoOrder', () => {
  it('is JSON.parse for text without repeated keys, key order included', () => {
    const text = ' {"b":1,"a":[true,false,null,-1.5e3,"x\\"y\\u00e9"],"c":{"d":{}}, "e":[]} ';
    const value = parseJsonGoOrder(text);
    expect(value).toEqual(JSON.parse(text));
    expect(Object.keys(value as object)).toEqual(['b', 'a', 'c', 'e']);
  });

  it('moves a repeated key to its last place, keeping the last value, at any depth', () => {
    const value = parseJsonGoOrder('{"version":"1","Version":"2","version":"3","n":[{"k":1,"K":2,"k":3}]}') as { n: object[] };
    expect(Object.entries(value)).toEqual([['Version', '2'], ['version', '3'], ['n', [{ K: 2, k: 3 }]]]);
    expect(Object.keys(value.n[0]!)).toEqual(['K', 'k']);
    expect(Object.keys(JSON.parse('{"version":"1","Version":"2","version":"3"}') as object)).toEqual(['version', 'Version']);
  });

  it('keeps __proto__ as a plain member, as JSON.parse does', () => {
    const value = parseJsonGoOrder('{"__proto__":{"x":1},"a":1,"__proto__":{"y":2}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['a', '__proto__']);
    expect(value.__proto__).toEqual({ y: 2 });
  });

  it('throws JSON.parse\'s error for text that is not JSON', () => {
    expect(() => parseJsonGoOrder('{"a":1,"a":')).toThrow(SyntaxError);
  });
});
