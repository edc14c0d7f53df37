import { spawn } from 'node:child_process';

/** Refused before anything is opened: an authorization URL that is not http(s). */
export class UnsafeAuthorizationUrlError extends Error {
  constructor(url: string) {
    super(`refusing to open the authorization URL ${JSON.stringify(url.slice(0, 200))}: only http and https URLs are opened`);
    this.name = 'UnsafeAuthorizationUrlError';
  }
}

/**
 * The URL to hand to a browser, or a refusal. The authorization endpoint comes from a server's metadata, so it is
 * untrusted: a `file:`, `javascript:` or custom-scheme URL would make the opener run or read something local.
 */
export function openableUrl(url: string | URL): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UnsafeAuthorizationUrlError(String(url));
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UnsafeAuthorizationUrlError(parsed.href);
  return parsed;
}

/** The platform's URL opener, as a program and its arguments (the URL goes last). */
export function systemOpener(platform: NodeJS.Platform = process.platform): string[] {
  if (platform === 'darwin') return ['open'];
  // rundll32 opens a URL without cmd.exe, whose `start` would parse & and | in it.
  if (platform === 'win32') return ['rundll32', 'url.dll,FileProtocolHandler'];
  return ['xdg-open'];
}

/**
 * Open an authorization URL in the user's browser. Checked first ({@link openableUrl}), then passed as one
 * argument to the opener program, never through a shell, so `$(…)`, backticks or `;` in it stay characters.
 */
export async function openInBrowser(url: string | URL, command: readonly string[] = systemOpener()): Promise<void> {
  const target = openableUrl(url);
  const [program, ...args] = command;
  if (!program) throw new Error('no browser opener command');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(program, [...args, target.href], { shell: false, stdio: 'ignore', detached: true });
    child.once('error', (error) => reject(new Error(`could not start ${program} to open the browser (${error.message}); rerun with --no-browser`)));
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
