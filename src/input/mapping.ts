/** A YAML or JSON mapping (an object that is neither null nor a list): its keys can be read. */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
