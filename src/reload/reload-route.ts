import type { RequestHandler } from 'express';
import type { ReloadResult } from './config-reloader';

/** /-/reload as Prometheus has it: POST or PUT re-reads the configuration; 500 lists the problems. */
export function reloadHandler(reload: (trigger: string) => Promise<ReloadResult>): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST' && req.method !== 'PUT') {
      res.status(405).set('Allow', 'POST, PUT').type('text').send('Only POST or PUT requests allowed\n');
      return;
    }
    reload('/-/reload').then((result) => {
      if (result.ok) {
        const restart =
          result.needsRestart.length > 0 ? `changed settings need a restart: ${result.needsRestart.join(', ')}\n` : '';
        res.type('text').send(`configuration reloaded\n${restart}`);
      } else {
        res
          .status(500)
          .type('text')
          .send(
            `configuration reload failed; the running configuration stays:\n${result.problems.map((p) => `  - ${p}\n`).join('')}`,
          );
      }
    }, next);
  };
}
