import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where Debian's `chromium` package puts the browser. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** A font with Chinese glyphs (the pages speak Simplified Chinese): Debian's WenQuanYi Zen Hei, small and complete. */
const CJK_FONT = '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc';

const usable = (path: string, mode: number) => {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
};
const installed = () => CANDIDATES.find((path) => usable(path, constants.X_OK));

/**
 * Debian's Chromium and a Chinese font, installed with apt-get when missing (with sudo when not
 * root). A failed install throws with apt's own words: the test that needs a
 * browser fails with the reason, it never skips.
 */
export async function ensureChromium(): Promise<string> {
  const found = installed();
  if (found && usable(CJK_FONT, constants.R_OK)) return found;
  const asRoot = process.getuid?.() === 0;
  const apt = (args: string[]) =>
    run(asRoot ? 'apt-get' : 'sudo', asRoot ? args : ['-n', 'apt-get', ...args], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      maxBuffer: 1 << 26,
      timeout: 15 * 60_000,
    });
  try {
    await apt(['update', '-qq']);
    await apt(['install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-wqy-zenhei']);
  } catch (error) {
    const detail = error as { message: string; stderr?: string };
    throw new Error(`Chromium is missing and \`apt-get install chromium\` failed: ${detail.stderr?.trim() || detail.message}`, { cause: error });
  }
  const path = installed();
  if (!path) throw new Error(`apt-get installed chromium, yet none of ${CANDIDATES.join(', ')} is there`);
  return path;
}
