/**
 * A problem only the operator can fix, by changing a setting the message names (a flag, an environment variable)
 * and saying how. Thrown wherever it is found, even in library code; the CLI prints its one line and exits 2.
 */
export class OperatorError extends Error {
  override readonly name = 'OperatorError';
}
