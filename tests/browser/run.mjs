// End-to-end browser test for khub: a new user registers, confirms the account from the
// mail file, signs in, fills in the profile with an avatar, posts with an image and alt
// text, and looks at the result on a desktop and a 360 px wide phone viewport.
//
// Run by scripts/test. Environment:
//   KHUB_URL          base URL of a running khub, e.g. http://localhost:8080 (required)
//   KHUB_DATA_DIR     that server's data dir; mail is read from $KHUB_DATA_DIR/mail/*.eml (required)
//   KHUB_TEST_OUTPUT  where screenshots go (default: ./test-output)
//   CHROMIUM_PATH     browser binary (default: Debian's /usr/bin/chromium)
//   KHUB_TEST_HEADED=1  show the browser window (needs a display)
//
// Uses playwright-core only (no downloaded browsers, no @playwright/test), so the
// assertions are small helpers below that throw Errors with clear messages.

import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

const BASE = requiredEnv('KHUB_URL').replace(/\/+$/, '');
const DATA_DIR = requiredEnv('KHUB_DATA_DIR');
const OUT = process.env.KHUB_TEST_OUTPUT || join(process.cwd(), 'test-output');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const HEADED = ['1', 'true', 'yes'].includes((process.env.KHUB_TEST_HEADED || '').toLowerCase());

const ACTION_TIMEOUT = 15_000;
const NAV_TIMEOUT = 30_000;
const MAIL_TIMEOUT = 30_000;

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 360, height: 740 };

const digits = String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
const USER = {
  username: `pw${digits}`,
  email: `pw${digits}@example.org`,
  password: `Correct-horse-battery-${digits}`,
};
const PROFILE = {
  displayName: 'Pat Playwright',
  jobTitle: 'Data Protection Officer',
  organisation: 'Example Borough Council',
  location: 'Leeds',
  bio: 'I look after information governance and like well-labelled forms.',
  expertise: 'housing, data protection',
};
const POST_TEXT = 'Hello from the browser test #testing';
const ALT_TEXT = 'A blue square';

function requiredEnv(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`error: ${name} must be set`);
    process.exit(2);
  }
  return v;
}

// ---------------------------------------------------------------------------
// Small valid PNGs, generated on the fly (truecolour, 8 bit, no interlace).
// ---------------------------------------------------------------------------
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function makePng(width, height, [r, g, b]) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour
  const row = width * 3 + 1;
  const raw = Buffer.alloc(row * height);
  for (let y = 0; y < height; y++) {
    raw[y * row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const o = y * row + 1 + x * 3;
      raw[o] = r;
      raw[o + 1] = g;
      raw[o + 2] = b;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---------------------------------------------------------------------------
// Mail files: minimal RFC 822 / MIME decoding (7bit, quoted-printable, base64, multipart)
// ---------------------------------------------------------------------------
function splitMessage(text) {
  const i = text.indexOf('\n\n');
  const head = i < 0 ? text : text.slice(0, i);
  const body = i < 0 ? '' : text.slice(i + 2);
  const headers = {};
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const m = /^([^:\s]+):\s*(.*)$/.exec(line);
    if (m) headers[m[1].toLowerCase()] = m[2];
  }
  return { headers, body };
}
function decodeQuotedPrintable(s) {
  const bytes = [];
  const src = Buffer.from(s.replace(/=\n/g, ''), 'latin1');
  for (let i = 0; i < src.length; i++) {
    const hex = src.toString('latin1', i + 1, i + 3);
    if (src[i] === 0x3d && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(src[i]);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
function decodeMime(text) {
  const { headers, body } = splitMessage(text);
  const ctype = headers['content-type'] || 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(ctype)?.[1];
  if (/^multipart\//i.test(ctype) && boundary) {
    return body
      .split(`--${boundary}`)
      .slice(1)
      .filter((part) => !part.startsWith('--'))
      .map((part) => decodeMime(part.replace(/^\n/, '')))
      .join('\n');
  }
  const cte = (headers['content-transfer-encoding'] || '').trim().toLowerCase();
  if (cte === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (cte === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

const CONFIRM_URL = /https?:\/\/\S+\/confirm\/[A-Za-z0-9_-]+/;

async function waitForConfirmationUrl(email) {
  const mailDir = join(DATA_DIR, 'mail');
  const deadline = Date.now() + MAIL_TIMEOUT;
  let seen = [];
  for (;;) {
    let files = [];
    try {
      files = readdirSync(mailDir).filter((f) => f.endsWith('.eml'));
    } catch {
      // mail dir not created yet
    }
    seen = files;
    for (const f of files) {
      let raw;
      try {
        raw = readFileSync(join(mailDir, f), 'utf8').replace(/\r\n/g, '\n');
      } catch {
        continue; // being written
      }
      const decoded = decodeMime(raw);
      const all = `${raw}\n${decoded}`;
      if (!all.toLowerCase().includes(email.toLowerCase())) continue;
      const m = CONFIRM_URL.exec(decoded) || CONFIRM_URL.exec(raw);
      if (m) return { url: m[0], file: f };
    }
    if (Date.now() > deadline) {
      throw new Error(
        `no mail in ${mailDir} mentions ${email} with a link matching ${CONFIRM_URL} ` +
          `after ${MAIL_TIMEOUT / 1000} s (found ${seen.length} .eml file(s): ${seen.slice(0, 10).join(', ')})`,
      );
    }
    await new Promise((r) => setTimeout(r, 200)); // poll interval, bounded by the deadline
  }
}

// ---------------------------------------------------------------------------
// Assertion and navigation helpers
// ---------------------------------------------------------------------------
function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
/** A form control by its label; the label must start with `text` (case-insensitive). */
function field(page, text) {
  return page.getByLabel(new RegExp(`^\\s*${escapeRe(text)}`, 'i'));
}
function button(page, name) {
  return page.getByRole('button', { name, exact: true });
}
function firstLine(msg) {
  return String(msg).split('\n')[0];
}
async function bodyText(page, max = 1200) {
  try {
    const t = (await page.locator('body').innerText({ timeout: 2000 })).replace(/\n{3,}/g, '\n\n');
    return t.length > max ? `${t.slice(0, max)}…` : t;
  } catch {
    return '(page text unavailable)';
  }
}
async function expectVisible(locator, what, timeout = ACTION_TIMEOUT) {
  const page = locator.page();
  try {
    await locator.first().waitFor({ state: 'visible', timeout });
  } catch (e) {
    throw new Error(
      `expected ${what} to be visible on ${page.url()} (${firstLine(e.message)})\n--- page text ---\n${await bodyText(page)}`,
    );
  }
}
async function expectPath(page, path, what) {
  const actual = new URL(page.url()).pathname;
  if (actual !== path) {
    throw new Error(`${what}: expected to be on ${path}, but on ${page.url()}\n--- page text ---\n${await bodyText(page)}`);
  }
}
async function visit(page, path) {
  let resp;
  try {
    resp = await page.goto(path, { timeout: NAV_TIMEOUT });
  } catch (e) {
    throw new Error(`GET ${path} failed: ${firstLine(e.message)}`);
  }
  if (!resp) throw new Error(`GET ${path}: no response`);
  if (resp.status() >= 400) {
    throw new Error(`GET ${path} answered ${resp.status()}\n--- page text ---\n${await bodyText(page)}`);
  }
  return resp;
}
/** Click a control that submits a form / follows a link, and wait for the new page. */
async function clickAndWaitForPage(page, locator, what) {
  const frame = page.mainFrame();
  const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === frame, timeout: NAV_TIMEOUT });
  const responded = page.waitForResponse(
    (r) =>
      r.request().isNavigationRequest() &&
      r.request().frame() === frame &&
      (r.status() < 300 || r.status() >= 400),
    { timeout: NAV_TIMEOUT },
  );
  navigated.catch(() => {});
  responded.catch(() => {});
  try {
    await locator.click({ timeout: ACTION_TIMEOUT });
  } catch (e) {
    throw new Error(`${what}: could not click (${firstLine(e.message)}) on ${page.url()}\n--- page text ---\n${await bodyText(page)}`);
  }
  let resp;
  try {
    [resp] = await Promise.all([responded, navigated]);
    await page.waitForLoadState('load', { timeout: NAV_TIMEOUT });
  } catch (e) {
    throw new Error(`${what}: no new page after the click (${firstLine(e.message)}); still on ${page.url()}`);
  }
  if (resp.status() >= 400) {
    throw new Error(
      `${what}: ${resp.request().method()} ${resp.url()} answered ${resp.status()}\n--- page text ---\n${await bodyText(page)}`,
    );
  }
  return resp;
}
async function expectImageLoaded(img, what) {
  const src = await img.getAttribute('src').catch(() => '?');
  await img.scrollIntoViewIfNeeded({ timeout: ACTION_TIMEOUT });
  try {
    await img.page().waitForFunction((el) => el.complete, await img.elementHandle(), { timeout: ACTION_TIMEOUT });
  } catch (e) {
    throw new Error(`${what} (src=${src}) did not finish loading: ${firstLine(e.message)}`);
  }
  const width = await img.evaluate((el) => el.naturalWidth);
  if (!(width > 0)) throw new Error(`${what} (src=${src}) is broken: the browser could not load or decode it`);
}
/** One `main` landmark, and a skip link that is the first thing Tab reaches and points at an existing id. */
async function checkLandmarks(page, what) {
  const mains = await page.getByRole('main').count();
  if (mains !== 1) throw new Error(`${what}: expected exactly one main landmark, found ${mains}`);
  const skipLinks = page.getByRole('link', { name: /skip to/i });
  if ((await skipLinks.count()) === 0) {
    throw new Error(`${what}: no skip link (a link named like "Skip to main content")`);
  }
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => {
    const el = document.activeElement;
    const href = el?.getAttribute('href') || '';
    return {
      tag: el?.tagName?.toLowerCase(),
      text: (el?.textContent || '').trim(),
      href,
      targetExists: href.startsWith('#') && !!document.getElementById(decodeURIComponent(href.slice(1))),
    };
  });
  if (focused.tag !== 'a' || !/skip to/i.test(focused.text)) {
    throw new Error(
      `${what}: the first Tab should focus the skip link, but focused <${focused.tag}> "${focused.text.slice(0, 60)}"`,
    );
  }
  if (!focused.targetExists) {
    throw new Error(`${what}: skip link href "${focused.href}" does not point at an element id on the page`);
  }
  await expectVisible(page.locator(':focus'), `${what}: the focused skip link`);
}
async function checkNoHorizontalOverflow(page, what) {
  const res = await page.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const sw = document.documentElement.scrollWidth;
    if (sw <= w + 1) return null;
    const offenders = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > w + 1)
      .slice(0, 5)
      .map((el) => {
        const cls = typeof el.className === 'string' && el.className.trim() ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
        return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${cls}`;
      });
    return { w, sw, offenders };
  });
  if (res) {
    throw new Error(
      `${what}: page is ${res.sw}px wide in a ${res.w}px viewport (horizontal scrolling); ` +
        `widest elements: ${res.offenders.join(', ')}`,
    );
  }
}

let currentStep = '';
async function step(name, fn) {
  currentStep = name;
  const t0 = Date.now();
  await fn();
  console.log(`  ok  ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

// ---------------------------------------------------------------------------
// The scenario
// ---------------------------------------------------------------------------
async function main() {
  mkdirSync(OUT, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), 'khub-browser-'));
  const avatarPng = join(tmp, 'avatar.png');
  const bluePng = join(tmp, 'blue-square.png');
  writeFileSync(avatarPng, makePng(96, 96, [230, 120, 30]));
  writeFileSync(bluePng, makePng(64, 64, [20, 60, 220]));

  console.log(`browser test against ${BASE} as ${USER.username} <${USER.email}>`);
  let browser;
  const serverErrors = [];
  const pages = [];
  const watch = (page) => {
    pages.push(page);
    page.setDefaultTimeout(ACTION_TIMEOUT);
    page.setDefaultNavigationTimeout(NAV_TIMEOUT);
    page.on('response', (r) => {
      const what = `${r.request().method()} ${r.url()} -> ${r.status()}`;
      if (r.status() >= 500) serverErrors.push(what);
      else if (r.status() >= 400 && !r.request().isNavigationRequest() && !r.url().endsWith('/favicon.ico')) {
        console.warn(`  warn: ${what} (on ${page.url()})`);
      }
    });
    page.on('pageerror', (e) => console.warn(`  warn: JavaScript error on ${page.url()}: ${firstLine(e.message)}`));
    page.on('console', (m) => {
      // failed sub-resource loads are reported with their URL by the response listener above
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
        console.warn(`  warn: console error on ${page.url()}: ${m.text()}`);
      }
    });
    return page;
  };

  try {
    currentStep = 'launch Chromium';
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: !HEADED,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
    });

    const desktop = await browser.newContext({ baseURL: BASE, viewport: DESKTOP, locale: 'en-GB' });
    const page = watch(await desktop.newPage());

    await step('register', async () => {
      await visit(page, '/register');
      await field(page, 'Username').fill(USER.username);
      await field(page, 'Email address').fill(USER.email);
      await field(page, 'Password').fill(USER.password);
      await clickAndWaitForPage(page, button(page, 'Create account'), 'submitting the registration form');
      await expectVisible(
        page.getByText(/check your (e-?mail|inbox|mail)|we (have|'ve|\u2019ve) sent|confirmation (link|e-?mail|mail)/i),
        'a message asking to check e-mail after registering',
      );
    });

    await step('confirm e-mail address from the mail file', async () => {
      const { url, file } = await waitForConfirmationUrl(USER.email);
      const u = new URL(url);
      console.log(`      mail ${file}: ${u.pathname}`);
      // Follow the link's path on the server under test (the mail may name another scheme/host).
      await visit(page, u.pathname + u.search);
      const signIn = page.getByRole('link', { name: 'Sign in', exact: true });
      await expectVisible(signIn, 'a "Sign in" link after confirming');
      await clickAndWaitForPage(page, signIn.first(), 'following the "Sign in" link');
    });

    await step('sign in', async () => {
      await field(page, 'Username or email address').fill(USER.username);
      await field(page, 'Password').fill(USER.password);
      await clickAndWaitForPage(page, button(page, 'Sign in'), 'submitting the sign-in form');
      await expectPath(page, '/', 'after signing in');
      await expectVisible(field(page, 'What would you like to share?'), 'the compose box on the home page');
    });

    await step('edit profile with avatar', async () => {
      await visit(page, '/settings/profile');
      await field(page, 'Display name').fill(PROFILE.displayName);
      await field(page, 'Job title').fill(PROFILE.jobTitle);
      await field(page, 'Organisation').fill(PROFILE.organisation);
      await field(page, 'Location').fill(PROFILE.location);
      await field(page, 'Bio').fill(PROFILE.bio);
      await field(page, 'Expertise').fill(PROFILE.expertise);
      await field(page, 'Avatar').setInputFiles(avatarPng);
      await clickAndWaitForPage(page, button(page, 'Save profile'), 'saving the profile');
      await expectVisible(page.getByText('Profile saved'), 'the "Profile saved" banner');
      // The form shows the saved values again.
      const jobTitle = await field(page, 'Job title').inputValue().catch(() => null);
      if (jobTitle !== null && jobTitle !== PROFILE.jobTitle) {
        throw new Error(`after saving, "Job title" shows "${jobTitle}", expected "${PROFILE.jobTitle}"`);
      }
    });

    await step('post with an image and alt text', async () => {
      await visit(page, '/');
      await field(page, 'What would you like to share?').fill(POST_TEXT);
      await field(page, 'Who can see this').selectOption('public');
      await field(page, 'Attach an image or document').setInputFiles(bluePng);
      await field(page, 'Image description (alt text)').fill(ALT_TEXT);
      await clickAndWaitForPage(page, button(page, 'Post'), 'posting');
      await expectPath(page, '/', 'after posting');
      const article = page.locator('article').filter({ hasText: POST_TEXT }).first();
      await expectVisible(article, `an <article> containing "${POST_TEXT}" on the home page`);
      const img = article.getByRole('img', { name: ALT_TEXT, exact: true });
      await expectVisible(img, `an image with alt text "${ALT_TEXT}" inside the post`);
      const alt = await img.first().getAttribute('alt');
      if (alt !== ALT_TEXT) throw new Error(`post image alt attribute is ${JSON.stringify(alt)}, expected "${ALT_TEXT}"`);
      await expectImageLoaded(img.first(), 'the post image');
    });

    await step('home page: landmarks, skip link, desktop screenshot', async () => {
      await visit(page, '/');
      await page.screenshot({ path: join(OUT, 'home.png'), fullPage: true });
      await checkLandmarks(page, 'home page'); // after the screenshot: it leaves the skip link focused
    });

    await step('profile page shows name, job title, organisation', async () => {
      await visit(page, `/@${USER.username}`);
      const main = page.getByRole('main');
      await expectVisible(main.getByText(PROFILE.displayName), `display name "${PROFILE.displayName}" on the profile page`);
      await expectVisible(main.getByText(PROFILE.jobTitle), `job title "${PROFILE.jobTitle}" on the profile page`);
      await expectVisible(main.getByText(PROFILE.organisation), `organisation "${PROFILE.organisation}" on the profile page`);
      await page.screenshot({ path: join(OUT, 'profile.png'), fullPage: true });
      await checkLandmarks(page, 'profile page');
    });

    await step('phone (360 px): home and profile screenshots, no horizontal scrolling', async () => {
      const phone = await browser.newContext({
        baseURL: BASE,
        viewport: PHONE,
        isMobile: true,
        hasTouch: true,
        locale: 'en-GB',
        storageState: await desktop.storageState(),
      });
      const m = watch(await phone.newPage());
      await visit(m, '/');
      await expectVisible(m.locator('article').filter({ hasText: POST_TEXT }), 'the post on the home page (phone, signed in)');
      await checkNoHorizontalOverflow(m, 'home page at 360 px');
      await m.screenshot({ path: join(OUT, 'home-mobile.png'), fullPage: true });
      await visit(m, `/@${USER.username}`);
      await expectVisible(m.getByRole('main').getByText(PROFILE.jobTitle), 'job title on the profile page (phone)');
      await checkNoHorizontalOverflow(m, 'profile page at 360 px');
      await m.screenshot({ path: join(OUT, 'profile-mobile.png'), fullPage: true });
    });

    if (serverErrors.length) {
      currentStep = 'server errors';
      throw new Error(`the server answered 5xx during the test:\n  ${serverErrors.join('\n  ')}`);
    }
    console.log(`browser test passed; screenshots in ${OUT}`);
  } catch (e) {
    console.error(`\nFAIL in step "${currentStep}": ${e.message}`);
    const page = pages.at(-1);
    if (page && !page.isClosed()) {
      const shot = join(OUT, 'failure.png');
      await page.screenshot({ path: shot, fullPage: true }).then(
        () => console.error(`screenshot of the failing page: ${shot}`),
        () => {},
      );
    }
    if (serverErrors.length) console.error(`server 5xx responses seen:\n  ${serverErrors.join('\n  ')}`);
    process.exitCode = 1;
  } finally {
    await browser?.close().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`FAIL: ${e?.stack || e}`);
  process.exitCode = 1;
});
