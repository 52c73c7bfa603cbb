import { parseWrkOutput } from '../../bench/wrk';

const SAMPLE = `Running 5s test @ http://127.0.0.1:41234/metrics
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.12ms    2.01ms  45.10ms   90.00%
    Req/Sec     1.95k   210.33     2.40k    70.00%
  Latency Distribution
     50%  640.00us
     75%    4.00ms
     90%    6.10ms
     99%    1.20s
  19500 requests in 5.01s, 43.12MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   3892.21
Transfer/sec:      8.61MB
`;

describe('parseWrkOutput', () => {
  test('reads rate, total, percentiles in any unit, and errors', () => {
    expect(parseWrkOutput(SAMPLE)).toEqual({
      requestsPerSecond: 3892.21,
      requests: 19500,
      durationSeconds: 5.01,
      latencyP50Ms: 0.64,
      latencyP99Ms: 1200,
      errors: 7,
    });
  });

  test('names what is missing when wrk ran without --latency', () => {
    expect(() => parseWrkOutput(SAMPLE.replace(/ {2}Latency Distribution[\s\S]*?99%.*\n/, ''))).toThrow(/50% latency/);
  });
});
