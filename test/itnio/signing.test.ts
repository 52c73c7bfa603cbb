import { buildSignedHeaders, joinUrl, signRequest } from '../../src/itnio/signing';

describe('signRequest', () => {
  test('matches the verified test vector from the ITNIO documentation', () => {
    expect(signRequest('bDqJFiq9', '7bz1lzh9', '1630468800')).toBe('05d7a50893e22a5c4bb3216ae3396c7c');
  });
});

describe('buildSignedHeaders', () => {
  test('sends Unix seconds (10 digits), not milliseconds, and signs that exact string', () => {
    const headers = buildSignedHeaders('bDqJFiq9', '7bz1lzh9', 1630468800_999);
    expect(headers).toEqual({
      'Api-Key': 'bDqJFiq9',
      Timestamp: '1630468800',
      Sign: '05d7a50893e22a5c4bb3216ae3396c7c',
      'Content-Type': 'application/json;charset=UTF-8',
    });
  });
});

describe('joinUrl', () => {
  test.each([
    ['https://api.itniotech.com/sms', 'https://api.itniotech.com/sms/getBalance'],
    ['https://api.itniotech.com/sms/', 'https://api.itniotech.com/sms/getBalance'],
    ['https://api.itniotech.com/sms//', 'https://api.itniotech.com/sms/getBalance'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080/getBalance'],
  ])('%s + getBalance = %s', (base, expected) => {
    expect(joinUrl(base, 'getBalance')).toBe(expected);
    expect(joinUrl(base, '/getBalance')).toBe(expected);
  });
});
