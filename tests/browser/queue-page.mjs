// Opens the mail queue page inside SendApi's Hangfire dashboard in Debian's chromium, as an
// operator would, and reads one destination domain's row. Used by QueuePageBrowserTests;
// runnable by hand against a running instance:
//
//   node queue-page.mjs --url http://127.0.0.1:8080 --password <admin key> --domain example.com \
//        [--screenshot /tmp/queue-page.png] [--retry]
//
// Checks: /hangfire/mail answers 200 to HTTP Basic with the admin key, and lists the domain.
// With --retry it presses the domain's "Retry now" button (a form POST carrying the antiforgery
// token) and reads the notice the page comes back with.
// Prints one JSON line of what it saw; exits 1 with the reasons when a check fails.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from './chromium.mjs';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    password: { type: 'string' },
    domain: { type: 'string' },
    screenshot: { type: 'string' },
    retry: { type: 'boolean', default: false },
  },
});
for (const required of ['url', 'password', 'domain']) {
  if (!args[required]) {
    console.error(`--${required} is required`);
    process.exit(2);
  }
}

const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };

const chromium = await launchChromium({ defaultViewport: { width: 1280, height: 900 } });
const { browser } = chromium;

const seen = { status: null, totals: {}, row: null, notice: null, after: null };
try {
  const page = await browser.newPage();
  await page.authenticate({ username: 'operator', password: args.password });

  const response = await page.goto(new URL('/hangfire/mail', args.url).href, { waitUntil: 'load' });
  seen.status = response.status();
  check(seen.status === 200, `GET /hangfire/mail answered ${seen.status}`);
  seen.totals = await page.$$eval('#totals tr', rows => Object.fromEntries(rows.map(r => [r.id, r.querySelector('.value').textContent.trim()])));
  seen.row = await readRow(page, args.domain);
  check(seen.row !== null, `${args.domain} is not in the domains table`);

  if (args.screenshot) {
    mkdirSync(dirname(args.screenshot), { recursive: true });
    await page.screenshot({ path: args.screenshot, fullPage: true });
  }

  if (args.retry && seen.row) {
    const button = await page.$(`tr[data-domain="${args.domain}"] button.retry`);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), button.click()]);
    seen.notice = await page.$eval('#notice', n => n.textContent.trim()).catch(() => null);
    check(seen.notice !== null, 'no notice after pressing "Retry now"');
    seen.after = await readRow(page, args.domain);
  }
} catch (error) {
  failures.push(error.stack ?? String(error));
} finally {
  await chromium.close();
}

console.log(JSON.stringify(seen));
if (failures.length > 0) {
  console.error(failures.join('\n'));
  process.exit(1);
}

async function readRow(page, domain) {
  return page.$$eval('#domains tr[data-domain]', (rows, domain) => {
    const row = rows.find(r => r.dataset.domain === domain);
    if (!row) {
      return null;
    }

    const text = selector => row.querySelector(selector).textContent.trim();
    return { queued: +text('.queued'), deferred: +text('.deferred'), inFlight: +text('.in-flight'), lastReply: text('.last-reply'), throttle: text('.throttle') };
  }, domain);
}
