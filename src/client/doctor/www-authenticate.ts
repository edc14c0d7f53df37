/** One challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1): its scheme and auth-params. */
export interface Challenge {
  /** Lower-cased, e.g. `bearer`, `dpop`. */
  scheme: string;
  /** Names lower-cased; quoted values unescaped. */
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

/**
 * Every challenge in a `WWW-Authenticate` value. Commas separate both challenges and their parameters, so a
 * name not followed by `=` starts the next challenge. Lenient by design: the doctor reports what a server sends,
 * and a half-readable header should still show what it says. token68 forms are kept whole under `token68`.
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let rest = header;
  const skip = (chars: RegExp) => {
    rest = rest.replace(chars, '');
  };
  while (true) {
    skip(/^[\s,]+/);
    const scheme = TOKEN.exec(rest)?.[0];
    if (!scheme) break;
    rest = rest.slice(scheme.length);
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    while (true) {
      skip(/^[\s,]+/);
      const name = TOKEN.exec(rest)?.[0];
      if (!name) break;
      const after = rest.slice(name.length).replace(/^\s*/, '');
      if (!after.startsWith('=')) break; // the next challenge's scheme
      if (/^=+\s*(,|$)/.test(after) && Object.keys(challenge.params).length === 0) {
        challenge.params['token68'] = name + after.match(/^=+/)![0];
        rest = after.replace(/^=+/, '');
        continue;
      }
      rest = after.slice(1).replace(/^\s*/, '');
      const key = name.toLowerCase();
      if (rest.startsWith('"')) {
        const quoted = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
        const raw = quoted ? quoted[1]! : rest.slice(1);
        challenge.params[key] = raw.replace(/\\(.)/g, '$1');
        rest = quoted ? rest.slice(quoted[0].length) : '';
      } else {
        const value = /^[^\s,]*/.exec(rest)![0];
        challenge.params[key] = value;
        rest = rest.slice(value.length);
      }
    }
  }
  return challenges;
}
