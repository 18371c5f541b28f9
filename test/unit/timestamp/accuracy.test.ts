/**
 * A time stamp's accuracy: RFC 3161's seconds/millis/micros in milliseconds, and refused when
 * genTime ± accuracy leaves the Date range — an invalid Date would pass every validity check.
 */
import { describe, expect, it } from 'vitest';
import { timeStampAccuracyMs } from '../../../src/timestamp/time-stamp-response.js';

const genTime = new Date('2026-11-27T10:00:00Z');

describe('timeStampAccuracyMs', () => {
  it('adds seconds, millis and micros (micros rounded up); absent is 0', () => {
    expect(timeStampAccuracyMs(genTime, undefined)).toBe(0);
    expect(timeStampAccuracyMs(genTime, { seconds: 1, millis: 500, micros: 1 })).toBe(1501);
  });

  it('refuses an accuracy that takes genTime outside the Date range', () => {
    expect(() => timeStampAccuracyMs(genTime, { seconds: 9e12 })).toThrow(/out of range/);
    expect(() => timeStampAccuracyMs(genTime, { seconds: 2 ** 60 })).toThrow(/out of range/);
    expect(() => timeStampAccuracyMs(genTime, { seconds: -1 })).toThrow(/out of range/);
  });
});
