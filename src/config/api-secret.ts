import { hasControlCharacter } from '../input/control-characters';
import type { Problems } from './problems';
import type { ConfigSources } from './sources';

/** ITNIO secrets are a few dozen characters; anything this long is a wrong file, hashed on every poll. */
const MAX_SECRET_LENGTH = 1024;

/**
 * The API secret from a variable, the accounts file or a secret file, normalised the same way
 * for all: white space, line ends and a byte order mark around it are dropped (a Kubernetes
 * Secret made from a file ends in "\r\n"). `what` names it in problems, which never show it.
 */
export function parseApiSecret(
  raw: string,
  source: string,
  problems: Problems,
  what = 'the API secret',
): string | undefined {
  // trim() drops U+FEFF too.
  const secret = raw.trim();
  if (secret === '') {
    problems.add(`${source}: ${what} is empty; expected the API secret`);
    return undefined;
  }
  if (secret.length > MAX_SECRET_LENGTH) {
    problems.add(`${source}: ${what} is longer than ${MAX_SECRET_LENGTH} characters; expected the API secret`);
    return undefined;
  }
  if (hasControlCharacter(secret)) {
    problems.add(`${source}: ${what} holds a control character (not shown); expected the API secret as printable text`);
    return undefined;
  }
  return secret;
}

/**
 * Reads a secret file. `given` is the path as configured: one without a "/" is not quoted back,
 * since it is as likely to be the secret itself, set in the wrong variable or key (`inlineName`,
 * where the secret itself goes, is named instead).
 */
export function readSecretFile(
  path: string,
  given: string,
  source: string,
  inlineName: string,
  sources: ConfigSources,
  problems: Problems,
): string | undefined {
  const expected = `a path to a file holding the API secret (the secret itself goes in ${inlineName})`;
  const what = given.includes('/')
    ? `secret file "${path}"`
    : 'the file it names (not shown: without a "/" it may be the secret itself)';
  const text = problems.readFile(sources.readFile, path, source, expected, what);
  return text === undefined ? undefined : parseApiSecret(text, source, problems, what);
}
