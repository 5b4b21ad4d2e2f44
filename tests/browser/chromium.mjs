// Debian's chromium, driven by puppeteer-core (nothing downloads a browser), started as every page
// test needs it: headless, a fresh profile each run (no cached credentials, nothing from an earlier
// run), and no background traffic of its own, since the only network here is loopback.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

/** Starts chromium; `close()` ends it and removes its profile. */
export async function launchChromium(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'sendapi-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    userDataDir: profile,
    ...options,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-default-apps', '--disable-domain-reliability', '--no-pings',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
