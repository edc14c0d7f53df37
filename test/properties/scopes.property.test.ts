import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkScopeHierarchy, expandScopes, isScopeToken, missingScopes, parseScopes, type ScopeHierarchy } from '../../src/resource/scopes.js';

// Show the assertion that failed, not only the counterexample.
fc.configureGlobal({ ...fc.readConfigureGlobal(), includeErrorInReport: true });

/**
 * Properties of scope parsing (RFC 6749 §3.3) and of scope hierarchies (a broad scope implies narrower ones).
 * The oracles below are written independently of src/resource/scopes.ts: a character-class test for
 * scope-token, and a fixpoint over a Map for the closure of a hierarchy.
 */

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const TOKEN_CHARS = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const isToken = (s: string) => TOKEN_CHARS.test(s);

/**
 * Scope tokens, biased towards names that collide with Object.prototype members: they are valid scope tokens
 * (`toString` is as legal a scope as `read`), and a hierarchy is a plain object.
 */
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__'];
const anyToken = fc.stringMatching(/^[\x21\x23-\x5B\x5D-\x7E]{1,12}$/);
/** A small alphabet, so that hierarchies and grants overlap. */
const smallToken = fc.constantFrom('read', 'write', 'admin', 'files:read', 'files:write', 'mcp:tools', 'a', 'b', 'c', 'd');
const token = fc.oneof({ weight: 4, arbitrary: smallToken }, { weight: 2, arbitrary: anyToken }, { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) });
/** Only ordinary names: for the properties that are about the algebra, not about prototype keys. */
const plainToken = fc.oneof({ weight: 4, arbitrary: smallToken }, { weight: 1, arbitrary: anyToken.filter((t) => !(t in Object.prototype)) });

/** A hierarchy built with own properties only (Object.fromEntries defines `__proto__` as an own key). */
function hierarchyOf(tokens: fc.Arbitrary<string>): fc.Arbitrary<ScopeHierarchy> {
  return fc.array(fc.tuple(tokens, fc.array(tokens, { maxLength: 4 })), { maxLength: 8 }).map((entries) => Object.fromEntries(entries) as ScopeHierarchy);
}

/** The least set containing `granted` and closed under the hierarchy, by fixpoint iteration over own entries. */
function closure(granted: Iterable<string>, hierarchy: ScopeHierarchy): Set<string> {
  const edges = new Map<string, readonly string[]>(Object.entries(hierarchy));
  const result = new Set(granted);
  for (let changed = true; changed; ) {
    changed = false;
    for (const scope of [...result]) {
      for (const implied of edges.get(scope) ?? []) {
        if (!result.has(implied)) {
          result.add(implied);
          changed = true;
        }
      }
    }
  }
  return result;
}

const sorted = (s: Iterable<string>) => [...s].sort();
const subset = (a: Iterable<string>, b: Set<string>) => [...a].every((x) => b.has(x));

/** Anything a token's `scope` or `scp` claim could hold after JSON parsing. */
const claimValue = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.array(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.integer(), fc.constant(null), fc.object())),
  fc.array(token).map((ts) => ts.join(' ')),
  fc.array(token).map((ts) => ts.join('  ')),
  fc.anything(),
);

describe('scope parsing (property)', () => {
  it('isScopeToken is exactly RFC 6749 scope-token', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), anyToken), (s) => isScopeToken(s) === isToken(s)),
      { numRuns: 500 },
    );
  });

  it('a valid scope string round-trips: parse then join gives it back', () => {
    fc.assert(
      fc.property(fc.uniqueArray(anyToken, { minLength: 1, maxLength: 10 }), (tokens) => {
        const scope = tokens.join(' ');
        assert.deepEqual(parseScopes(scope), tokens);
        assert.equal(parseScopes(scope).join(' '), scope);
        // The array form (`scp`) means the same.
        assert.deepEqual(parseScopes(tokens), tokens);
      }),
      { numRuns: 500 },
    );
  });

  it('extra spaces and repeated tokens change nothing but the duplicates (first occurrence kept, order kept)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(token, fc.integer({ min: 1, max: 3 })), { maxLength: 10 }), fc.integer({ min: 0, max: 2 }), (parts, edge) => {
        const scope = ' '.repeat(edge) + parts.map(([t, gap]) => t + ' '.repeat(gap)).join('');
        const expected = [...new Set(parts.map(([t]) => t))];
        assert.deepEqual(parseScopes(scope), expected);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws, and yields only distinct, non-empty scope tokens that were in the input', () => {
    fc.assert(
      fc.property(claimValue, (value) => {
        const scopes = parseScopes(value);
        assert.ok(Array.isArray(scopes));
        assert.equal(new Set(scopes).size, scopes.length, 'no duplicates');
        for (const s of scopes) {
          assert.equal(typeof s, 'string');
          assert.ok(isToken(s), `${JSON.stringify(s)} is a scope token`);
          assert.ok(!/\s/.test(s), 'no whitespace');
        }
        // Every token comes from a space-separated part of the input, never invented.
        const parts =
          typeof value === 'string'
            ? value.split(' ')
            : Array.isArray(value)
              ? value.filter((v) => typeof v === 'string').flatMap((v: string) => v.split(' '))
              : [];
        for (const s of scopes) assert.ok(parts.includes(s), `${JSON.stringify(s)} was in the input`);
        // Parsing is idempotent.
        assert.deepEqual(parseScopes(scopes.join(' ')), scopes);
        assert.deepEqual(parseScopes(scopes), scopes);
      }),
      { numRuns: 500 },
    );
  });

  it('a part with any character outside scope-token is dropped as a whole, never split or trimmed into a token', () => {
    fc.assert(
      fc.property(anyToken, fc.constantFrom('\t', '\n', '\r', '"', '\\', '\u00a0', '\u2028', '\u0000', '\u00e9', '\u{1F600}'), fc.nat(12), (t, bad, at) => {
        const i = at % (t.length + 1);
        const part = t.slice(0, i) + bad + t.slice(i);
        assert.deepEqual(parseScopes(`ok ${part} fine`), ['ok', 'fine']);
      }),
      { numRuns: 500 },
    );
  });
});

describe('scope hierarchy (property)', () => {
  it('expansion is the closure of the grant under the hierarchy: extensive, never invents scopes', () => {
    fc.assert(
      fc.property(fc.array(plainToken, { maxLength: 6 }), hierarchyOf(plainToken), (granted, hierarchy) => {
        const expanded = expandScopes(granted, hierarchy);
        assert.deepEqual(sorted(expanded), sorted(closure(granted, hierarchy)));
        assert.ok(subset(granted, expanded), 'extensive');
        const universe = new Set([...granted, ...Object.values(hierarchy).flat()]);
        assert.ok(subset(expanded, universe), 'only granted scopes and scopes the hierarchy names');
      }),
      { numRuns: 500 },
    );
  });

  it('expansion is idempotent and monotone (more granted scopes never lose access)', () => {
    fc.assert(
      fc.property(fc.array(plainToken, { maxLength: 6 }), fc.array(plainToken, { maxLength: 4 }), hierarchyOf(plainToken), (granted, more, hierarchy) => {
        const once = expandScopes(granted, hierarchy);
        assert.deepEqual(sorted(expandScopes(once, hierarchy)), sorted(once), 'idempotent');
        const bigger = expandScopes([...granted, ...more], hierarchy);
        assert.ok(subset(once, bigger), 'monotone in the grant');
      }),
      { numRuns: 500 },
    );
  });

  it('is monotone in the hierarchy too: adding implications never removes a scope', () => {
    fc.assert(
      fc.property(fc.array(plainToken, { maxLength: 6 }), hierarchyOf(plainToken), hierarchyOf(plainToken), (granted, h1, h2) => {
        const merged: Record<string, string[]> = {};
        for (const h of [h1, h2]) for (const [k, v] of Object.entries(h)) merged[k] = [...(merged[k] ?? []), ...v];
        assert.ok(subset(expandScopes(granted, h1), expandScopes(granted, merged)));
      }),
      { numRuns: 500 },
    );
  });

  it('missingScopes(granted, required) is empty iff every required scope is implied, and names exactly the others', () => {
    fc.assert(
      fc.property(fc.array(plainToken, { maxLength: 6 }), fc.array(plainToken, { maxLength: 6 }), hierarchyOf(plainToken), (granted, required, hierarchy) => {
        const implied = closure(granted, hierarchy);
        const missing = missingScopes(granted, required, hierarchy);
        assert.equal(
          missing.length === 0,
          required.every((r) => implied.has(r)),
        );
        assert.deepEqual(
          missing,
          required.filter((r) => !implied.has(r)),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('more granted scopes never make more scopes missing', () => {
    fc.assert(
      fc.property(
        fc.array(plainToken, { maxLength: 6 }),
        fc.array(plainToken, { maxLength: 3 }),
        fc.array(plainToken, { maxLength: 6 }),
        hierarchyOf(plainToken),
        (granted, more, required, hierarchy) => {
          const before = new Set(missingScopes(granted, required, hierarchy));
          assert.ok(subset(missingScopes([...granted, ...more], required, hierarchy), before));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('checkScopeHierarchy refuses a hierarchy iff one of its names is not a scope token', () => {
    const name = fc.oneof(token, fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.array(name, { maxLength: 3 })), { maxLength: 5 }), (entries) => {
        const hierarchy = Object.fromEntries(entries) as ScopeHierarchy;
        const valid = Object.entries(hierarchy).every(([k, v]) => isToken(k) && v.every(isToken));
        let threw = false;
        try {
          checkScopeHierarchy(hierarchy);
        } catch {
          threw = true;
        }
        assert.equal(threw, !valid);
      }),
      { numRuns: 500 },
    );
  });

  /*
   * PRODUCT BUG (src/resource/scopes.ts, expandScopes: `for (const implied of hierarchy[scope] ?? [])`).
   * The hierarchy is a plain object and is indexed with the granted scope, so a scope named like an
   * Object.prototype member reads the prototype: `hierarchy['constructor']` is the Object function,
   * `hierarchy['__proto__']` is Object.prototype, neither is iterable, and expandScopes throws a TypeError.
   * The gate calls missingScopes(token scopes, …) for every request, so a correctly signed token whose
   * `scope` contains `toString` answers 500 instead of 200/403 (see jwt-verifier.property.test.ts).
   * Shrunk counterexample: granted = ["__proto__"], hierarchy = {} (also "constructor", "toString", "valueOf").
   */
  it('never throws, whatever the scope names (prototype member names included)', () => {
    fc.assert(
      fc.property(fc.array(token, { maxLength: 6 }), fc.array(token, { maxLength: 4 }), hierarchyOf(token), (granted, required, hierarchy) => {
        const expanded = expandScopes(granted, hierarchy);
        assert.deepEqual(sorted(expanded), sorted(closure(granted, hierarchy)));
        const implied = closure(granted, hierarchy);
        assert.deepEqual(
          missingScopes(granted, required, hierarchy),
          required.filter((r) => !implied.has(r)),
        );
        assert.deepEqual(
          missingScopes(granted, required),
          required.filter((r) => !new Set(granted).has(r)),
          'default hierarchy',
        );
      }),
      {
        numRuns: 500,
        examples: [
          [['__proto__'], [], {}],
          [['constructor'], ['read'], {}],
          [['toString'], [], { read: ['toString'] }],
        ],
      },
    );
  });
});
