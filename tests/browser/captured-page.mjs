// Opens SendApi's captured mail page in Debian's chromium, as an operator would, and checks what
// the operator sees. Used by CapturedPageBrowserTests; runnable by hand against a running instance:
//
//   node captured-page.mjs --url http://127.0.0.1:8080 --password <admin key> \
//        --expect "Subject one" --expect "Subject two" --open "Subject one"
//
// Checks: the list (signed in with HTTP Basic, the admin key as the password) shows every expected
// subject; the opened message shows its subject; its HTML is in an iframe with sandbox="" that
// rendered the HTML's text, while no script of the HTML ran (in the frame or in the page's
// origin), no request it would have made was sent, and no dialog opened.
// Prints one JSON line of what it saw; exits 1 with the reasons when a check fails.

import { parseArgs } from 'node:util';
import { launchChromium } from './chromium.mjs';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    password: { type: 'string' },
    expect: { type: 'string', multiple: true, default: [] },
    open: { type: 'string' },
    'frame-text': { type: 'string' },
    'script-marker': { type: 'string', default: 'SCRIPT RAN' },
    'request-marker': { type: 'string', default: 'pwned' },
  },
});
for (const required of ['url', 'password', 'open']) {
  if (!args[required]) {
    console.error(`--${required} is required`);
    process.exit(2);
  }
}

const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };

const chromium = await launchChromium();
const { browser } = chromium;

const seen = { listed: [], opened: null, title: null, frameSandbox: null, frameText: null, requests: [], dialogs: [] };
try {
  const page = await browser.newPage();
  page.on('request', request => seen.requests.push(request.url()));
  page.on('dialog', async dialog => { seen.dialogs.push(dialog.message()); await dialog.dismiss(); });
  await page.authenticate({ username: 'operator', password: args.password });

  const list = await page.goto(new URL('/captured', args.url).href, { waitUntil: 'load' });
  check(list.status() === 200, `GET /captured answered ${list.status()}`);
  seen.listed = await page.$$eval('#captured a.subject', links => links.map(a => a.textContent));
  for (const subject of args.expect) {
    check(seen.listed.includes(subject), `"${subject}" is not listed (listed: ${JSON.stringify(seen.listed)})`);
  }

  const links = await page.$$('#captured a.subject');
  const texts = await Promise.all(links.map(link => link.evaluate(a => a.textContent)));
  const index = texts.indexOf(args.open);
  if (index < 0) {
    throw new Error(`No link to "${args.open}" on the list`);
  }

  // The click is what an operator does; 'load' waits for the message's frame too.
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), links[index].click()]);
  seen.opened = await page.$eval('#subject', h1 => h1.textContent);
  seen.title = await page.title();
  check(seen.opened === args.open, `the opened message shows "${seen.opened}", not "${args.open}"`);

  seen.frameSandbox = await page.$eval('iframe#html', frame => frame.getAttribute('sandbox'));
  check(seen.frameSandbox === '', `the HTML frame's sandbox attribute is ${JSON.stringify(seen.frameSandbox)}, not ""`);

  // Read the frame through DevTools' DOM agent, which needs no script in the frame (none may run there).
  const cdp = await page.createCDPSession();
  const { root } = await cdp.send('DOM.getDocument', { depth: -1, pierce: true });
  const frameDocument = findFrameDocument(root, 'html');
  check(frameDocument !== null, 'the HTML frame has no document');
  const frameHtml = frameDocument ? (await cdp.send('DOM.getOuterHTML', { nodeId: frameDocument.nodeId })).outerHTML : '';
  seen.frameText = frameHtml.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300);
  if (args['frame-text']) {
    check(frameHtml.includes(args['frame-text']), `the HTML frame does not show "${args['frame-text']}": ${frameHtml.slice(0, 500)}`);
  }

  const marker = args['script-marker'];
  check(!frameHtml.includes(marker), `a script of the message ran in its frame: ${frameHtml.slice(0, 500)}`);
  const pageHtml = (await cdp.send('DOM.getOuterHTML', { nodeId: root.nodeId })).outerHTML;
  // The page's own DOM (a frame's document is not part of its outer HTML).
  check(!pageHtml.includes(marker) && !seen.title.includes(marker), 'a script of the message ran in the page');
  check(!seen.title.toUpperCase().includes('PWNED'), `the page's title was changed to "${seen.title}"`);
  const sent = seen.requests.filter(url => url.includes(args['request-marker']));
  check(sent.length === 0, `requests a script of the message would make were sent: ${sent.join(', ')}`);
  check(seen.dialogs.length === 0, `dialogs opened: ${seen.dialogs.join(', ')}`);
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

function findFrameDocument(node, id) {
  if (node.nodeName === 'IFRAME' && attribute(node, 'id') === id) {
    return node.contentDocument ?? null;
  }

  for (const child of [...(node.children ?? []), ...(node.contentDocument ? [node.contentDocument] : [])]) {
    const found = findFrameDocument(child, id);
    if (found) {
      return found;
    }
  }

  return null;
}

function attribute(node, name) {
  const attributes = node.attributes ?? [];
  for (let i = 0; i < attributes.length; i += 2) {
    if (attributes[i] === name) {
      return attributes[i + 1];
    }
  }

  return null;
}
