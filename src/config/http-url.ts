/** The API base URLs: the --api.base-url default and each account's base_url. */

export function parseHttpUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) return undefined;
    return url;
  } catch {
    return undefined;
  }
}

/** A refused URL as it may be quoted back: any user:password part is masked. */
export function withoutCredentials(text: string): string {
  return text.replace(/\/\/[^/@\s]*@/g, '//***@');
}

export function isPlainHttpToRemote(baseUrl: string): boolean {
  const url = new URL(baseUrl);
  return url.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}
