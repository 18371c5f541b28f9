import { describe, expect, it } from 'vitest';
import { airsignError } from '../../../src/errors.js';
import { isTransientPkcs11Failure, withTransientRetry, type Pkcs11RetryEvent } from '../../../src/keys/pkcs11/transient-retry.js';

const general = () => airsignError('PKCS11_ERROR', 'PKCS#11 read token info failed: CKR_GENERAL_ERROR', { details: { ckr: 'CKR_GENERAL_ERROR' } });
const noToken = () => airsignError('PKCS11_TOKEN_NOT_FOUND', 'no token labelled "rel" (tokens: none)');
const wrongPin = () => airsignError('PKCS11_PIN_INCORRECT', 'wrong PIN', { details: { ckr: 'CKR_PIN_INCORRECT' } });
const noSleep = () => Promise.resolve();

describe('withTransientRetry', () => {
  it('retries a missing token and CKR_GENERAL_ERROR, re-initializing before each new attempt', async () => {
    const failures = [noToken(), general()];
    const events: Pkcs11RetryEvent[] = [];
    let reinitialized = 0;
    const value = await withTransientRetry('find token', () => {
      const next = failures.shift();
      if (next) throw next;
      return 'token';
    }, { sleep: noSleep, onRetry: (e) => events.push(e), beforeRetry: () => { reinitialized++; } });
    expect(value).toBe('token');
    expect(reinitialized).toBe(2);
    expect(events.map((e) => [e.attempt, e.reason])).toEqual([[1, 'PKCS11_TOKEN_NOT_FOUND'], [2, 'PKCS11_ERROR CKR_GENERAL_ERROR']]);
    expect(events[1]!.delayMs).toBeGreaterThanOrEqual(40); // grows: 40 ms × 2 × (0.5 … 1.5)
  });

  it('never retries a wrong PIN or any other failure', async () => {
    let calls = 0;
    await expect(withTransientRetry('login', () => { calls++; throw wrongPin(); }, { sleep: noSleep })).rejects.toMatchObject({ code: 'PKCS11_PIN_INCORRECT' });
    await expect(withTransientRetry('x', () => { calls++; throw new Error('CKR_GENERAL_ERROR'); }, { sleep: noSleep })).rejects.toThrow('CKR_GENERAL_ERROR');
    expect(calls).toBe(2);
  });

  it('gives up after the bounded number of attempts with the last failure', async () => {
    let calls = 0;
    await expect(withTransientRetry('find token', () => { calls++; throw noToken(); }, { sleep: noSleep, attempts: 4 })).rejects.toMatchObject({ code: 'PKCS11_TOKEN_NOT_FOUND' });
    expect(calls).toBe(4);
  });

  it('gives up with the failure when beforeRetry (after the wait) says it is unsafe to try again', async () => {
    let calls = 0;
    let asked = 0;
    const failTwice = () => {
      if (++calls <= 2) throw general();
      return 'logged in';
    };
    expect(await withTransientRetry('login', failTwice, { sleep: noSleep, beforeRetry: () => (asked++, true) })).toBe('logged in');
    expect([calls, asked]).toEqual([3, 2]);
    calls = 0;
    asked = 0;
    // e.g. the token now reports CKF_USER_PIN_COUNT_LOW: that attempt may have counted.
    await expect(withTransientRetry('login', failTwice, { sleep: noSleep, beforeRetry: () => Promise.resolve((asked++, false)) })).rejects.toMatchObject({ details: { ckr: 'CKR_GENERAL_ERROR' } });
    expect([calls, asked]).toEqual([1, 1]);
  });

  it('awaits an async step, so its rejection is retried like a throw', async () => {
    let calls = 0;
    const value = await withTransientRetry('login', async () => {
      await Promise.resolve();
      if (++calls === 1) throw general();
      return calls;
    }, { sleep: noSleep });
    expect(value).toBe(2);
  });

  it('classifies only store-rewrite answers as transient', () => {
    expect(isTransientPkcs11Failure(general())).toBe(true);
    expect(isTransientPkcs11Failure(noToken())).toBe(true);
    expect(isTransientPkcs11Failure(wrongPin())).toBe(false);
    expect(isTransientPkcs11Failure(airsignError('PKCS11_ERROR', 'x', { details: { ckr: 'CKR_ARGUMENTS_BAD' } }))).toBe(false);
    // A slot list that changed size under a parallel rewrite is retried; a short signature buffer is not.
    expect(isTransientPkcs11Failure(airsignError('PKCS11_ERROR', 'x', { details: { ckr: 'CKR_BUFFER_TOO_SMALL', operation: 'list slots' } }))).toBe(true);
    expect(isTransientPkcs11Failure(airsignError('PKCS11_ERROR', 'x', { details: { ckr: 'CKR_BUFFER_TOO_SMALL', operation: 'sign' } }))).toBe(false);
  });
});
