// Two independent Mastodon client libraries from npm, masto 7 and megalodon 10, use a running
// khub the way apps do: register an app, get a token through the real authorization-code flow
// (the HTML sign-in and consent pages), then verify credentials, post with an image, read and
// page the home timeline, follow, favourite, boost, bookmark and read notifications; then search
// (accounts, statuses by URL, hashtags), manage a list, page favourites and an account's posts by
// the Link header both ways, save and read markers, and (masto) warn with a v2 filter; and each
// library's streaming client (WebSocket, found through the instance's streaming URL) receives a
// new post by a followed member.
//
// masto drives the consent page with plain fetch and a cookie jar, with PKCE S256 and state;
// megalodon's flow goes through Debian's Chromium (playwright-core), which follows the redirect
// to a callback server here, so the page's Content-Security-Policy is tested by a real browser.
//
// Run by scripts/test. Environment:
//   KHUB_URL       base URL of a running khub, e.g. http://localhost:8080 (required)
//   KHUB_BIN       the khub binary: members are made with `khub admin create-user` (required);
//                  it must see the server's settings (KHUB_DATA_DIR, KHUB_DATABASE_URL, …)
//   CHROMIUM_PATH  browser binary (default: Debian's /usr/bin/chromium)

import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

import { createOAuthAPIClient, createRestAPIClient, createStreamingAPIClient } from 'masto';
import * as megalodonModule from 'megalodon';
import { chromium } from 'playwright-core';

const BASE = requiredEnv('KHUB_URL').replace(/\/+$/, '');
const KHUB_BIN = requiredEnv('KHUB_BIN');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const generator = typeof megalodonModule.default === 'function' ? megalodonModule.default : megalodonModule.default.default;

const PASSWORD = 'correct horse battery staple';
const SCOPES = 'read write follow push';
const ALT = 'A small blue square';
const run = randomBytes(4).toString('hex');

function requiredEnv(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`error: ${name} must be set`);
    process.exit(2);
  }
  return v;
}

// ---------------------------------------------------------------------------
// Checks and steps
// ---------------------------------------------------------------------------
function check(ok, message, detail) {
  if (!ok) {
    const extra = detail === undefined ? '' : `\n  got: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`;
    throw new Error(`${message}${extra}`);
  }
}

let currentStep = '';
async function step(name, fn) {
  currentStep = name;
  const t0 = Date.now();
  const result = await fn();
  console.log(`  ok  ${name} (${Date.now() - t0} ms)`);
  return result;
}

// ---------------------------------------------------------------------------
// Members, made with the admin command; the other member acts through a raw API client
// ---------------------------------------------------------------------------
function khubAdmin(args) {
  return execFileSync(KHUB_BIN, ['admin', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function createMember(name) {
  khubAdmin(['create-user', name, '--email', `${name}@example.org`, '--password', PASSWORD]);
  return { name, token: khubAdmin(['token', name]) };
}

async function api(token, method, path, body) {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  check(res.ok, `${method} ${path} answered ${res.status}`, text);
  return JSON.parse(text);
}

/** A small valid PNG (truecolour, one IDAT chunk). */
function png(size, [r, g, b]) {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const x of buf) c = table[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: size }, () => [r, g, b]).flat())]);
  const raw = Buffer.concat(Array.from({ length: size }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---------------------------------------------------------------------------
// The consent page with fetch: a cookie jar, no redirects followed, forms read from the HTML
// ---------------------------------------------------------------------------
class CookieBrowser {
  constructor() {
    this.jar = new Map();
  }
  async request(path, { method = 'GET', form } = {}) {
    const headers = {};
    if (this.jar.size) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(path.startsWith('http') ? path : `${BASE}${path}`, {
      method,
      headers,
      body: form ? new URLSearchParams(form).toString() : undefined,
      redirect: 'manual',
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const [name, value] = [pair.slice(0, i), pair.slice(i + 1)];
      if (/max-age=0/i.test(c)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return { status: res.status, location: res.headers.get('location'), html: await res.text(), headers: res.headers };
  }
}

function decodeEntities(s) {
  return s.replace(/&(#\d+|#x[0-9a-f]+|amp|lt|gt|quot|apos);/gi, (_, e) => {
    const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e.toLowerCase()];
    if (named) return named;
    return String.fromCodePoint(e[1].toLowerCase() === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

/** The hidden fields of the form that posts to `action`. */
function formFields(html, action) {
  const start = html.indexOf(`action="${action}"`);
  check(start >= 0, `no form posting to ${action} on the page`, html.slice(0, 2000));
  const form = html.slice(start, html.indexOf('</form>', start));
  const fields = {};
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1]] = decodeEntities(m[2]);
  }
  return fields;
}

async function consentWithFetch(authorizeUrl, member, appName) {
  const b = new CookieBrowser();
  const first = await b.request(authorizeUrl);
  check(first.status === 303 && first.location?.startsWith('/login?next='), 'signed out: sent to sign in first', first);
  const login = await b.request(first.location);
  const fields = formFields(login.html, '/login');
  const signedIn = await b.request('/login', {
    method: 'POST',
    form: { ...fields, login: member.name, password: PASSWORD },
  });
  check(signedIn.status === 303 && signedIn.location?.startsWith('/oauth/authorize?'), 'back to the consent page', signedIn);
  const consent = await b.request(signedIn.location);
  check(consent.status === 200, `the consent page answered ${consent.status}`, consent.html.slice(0, 2000));
  check(consent.html.includes(`Authorise ${appName} to use your account?`), 'the consent page names the app');
  check(consent.html.includes(`@${member.name}`), 'the consent page names the account');
  const approved = await b.request('/oauth/authorize', { method: 'POST', form: formFields(consent.html, '/oauth/authorize') });
  check(approved.status === 303 && approved.location, 'Authorise redirects to the app', approved);
  return new URL(approved.location);
}

// ---------------------------------------------------------------------------
// The consent page in Chromium, back to a callback server here
// ---------------------------------------------------------------------------
async function callbackServer() {
  let resolveCode;
  const received = new Promise((resolve) => {
    resolveCode = resolve;
  });
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/callback') resolveCode(url.searchParams);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!DOCTYPE html><title>Back in the app</title><h1>Back in the app</h1>');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/callback`, received };
}

async function consentInChromium(authorizeUrl, member, appName, received) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ locale: 'en-GB' });
    page.setDefaultTimeout(15_000);
    const blocked = [];
    page.on('console', (m) => {
      if (/content security policy/i.test(m.text())) blocked.push(m.text());
    });
    await page.goto(authorizeUrl);
    check(new URL(page.url()).pathname === '/login', 'signed out: the sign-in page first', page.url());
    await page.getByLabel('Username or email address').fill(member.name);
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page.waitForURL(/\/oauth\/authorize\?/), page.getByRole('button', { name: 'Sign in' }).click()]);
    const heading = await page.getByRole('heading', { level: 1 }).innerText();
    check(heading === `Authorise ${appName} to use your account?`, 'the consent page asks about the app', heading);
    check((await page.getByRole('main').count()) === 1, 'one main landmark');
    check((await page.getByRole('heading', { level: 1 }).count()) === 1, 'one h1');
    await page.getByRole('button', { name: 'Authorise', exact: true }).click();
    const params = await Promise.race([
      received,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`no redirect to the app; on ${page.url()}; CSP: ${blocked.join(' | ')}`)), 15_000),
      ),
    ]);
    await page.waitForURL(/127\.0\.0\.1:\d+\/callback/);
    return params;
  } finally {
    await browser.close();
  }
}

// ---------------------------------------------------------------------------
// The story both libraries tell, through small adapters
// ---------------------------------------------------------------------------
async function story(lib, me, bea, c) {
  const account = await step(`${lib}: verify credentials`, async () => {
    const a = await c.verifyCredentials();
    check(a.username === me.name, 'verify_credentials names the member', a.username);
    check(a.acct === me.name && typeof a.id === 'string', 'acct and a string id', a);
    return a;
  });
  await step(`${lib}: verify the app`, async () => {
    const app = await c.verifyApp();
    check(app.name === c.appName, 'apps/verify_credentials names the app', app);
  });
  const beaAccount = await step(`${lib}: look up and follow another member`, async () => {
    const found = await c.lookup(bea.name);
    check(found.username === bea.name, 'lookup finds the member', found);
    const rel = await c.follow(found.id);
    check(rel.following === true, 'the relationship says following', rel);
    return found;
  });
  const beaPost = await api(bea.token, 'POST', '/api/v1/statuses', { status: `Bea's news for ${lib} ${run}` });
  const posted = await step(`${lib}: post a status with an image`, async () => {
    const media = await c.upload(ALT);
    check(media.type === 'image' && typeof media.id === 'string', 'the upload is an image attachment', media);
    const s = await c.post(`Hello from ${lib} with a picture ${run}`, [media.id]);
    const attachments = s.media_attachments ?? s.mediaAttachments;
    check(attachments.length === 1, 'the status carries the image', s);
    check(attachments[0].description === ALT, 'with its alt text', attachments[0]);
    const more = [await c.post(`${lib} second post ${run}`), await c.post(`${lib} third post ${run}`)];
    return [s, ...more];
  });
  await step(`${lib}: read and page the home timeline`, async () => {
    const pages = await c.homePages(2);
    const ids = pages.flat().map((s) => s.id);
    check(pages.length >= 2, 'more than one page of two', pages.map((p) => p.length));
    check(pages.slice(0, -1).every((p) => p.length === 2), 'full pages of two until the last');
    check(new Set(ids).size === ids.length, 'no status twice across pages', ids);
    const sorted = [...ids].sort((a, b) => (BigInt(b) > BigInt(a) ? 1 : -1));
    check(ids.join() === sorted.join(), 'newest first across pages', ids);
    for (const s of [...posted, beaPost]) check(ids.includes(s.id), `the home timeline has ${s.id}`, ids);
  });
  await step(`${lib}: favourite, boost and bookmark`, async () => {
    check((await c.favourite(beaPost.id)).favourited === true, 'favourited');
    const boost = await c.boost(beaPost.id);
    check(boost.reblogged === true || boost.reblog?.reblogged === true, 'boosted', boost);
    check((await c.bookmark(beaPost.id)).bookmarked === true, 'bookmarked');
    const saved = await c.bookmarks();
    check(saved.some((s) => s.id === beaPost.id), 'the bookmark is listed', saved.map((s) => s.id));
    const after = await api(bea.token, 'GET', `/api/v1/statuses/${beaPost.id}`);
    check(after.favourites_count === 1 && after.reblogs_count === 1, 'the other member sees the counts', after);
  });
  await step(`${lib}: read notifications`, async () => {
    await api(bea.token, 'POST', `/api/v1/statuses/${posted[0].id}/favourite`);
    await api(bea.token, 'POST', `/api/v1/accounts/${account.id}/follow`);
    const list = await c.notifications();
    const from = (type) => list.find((n) => n.type === type && n.account.id === beaAccount.id);
    check(from('favourite')?.status?.id === posted[0].id, 'a favourite notification for the post', list);
    check(from('follow'), 'a follow notification', list.map((n) => n.type));
  });
}

// ---------------------------------------------------------------------------
// Streaming: each library's own client receives a post by a followed member
// ---------------------------------------------------------------------------
/**
 * Posts as `author` until `received` resolves with the streamed status: a client may subscribe
 * a moment after it connects, so posting repeats (every 300 ms, bounded), never a fixed wait.
 */
async function postUntilReceived(author, text, received, deadlineMs = 15_000) {
  const start = Date.now();
  const ids = [];
  for (let n = 1; ; n++) {
    const s = await api(author.token, 'POST', '/api/v1/statuses', { status: `${text} (${n})` });
    ids.push(s.id);
    const got = await Promise.race([received, new Promise((resolve) => setTimeout(() => resolve(null), 300))]);
    if (got) return { got, ids };
    check(Date.now() - start < deadlineMs, `no update on the stream within ${deadlineMs} ms`, ids);
  }
}

async function mastoStreaming(token, bea) {
  const instance = await createRestAPIClient({ url: BASE }).v2.instance.fetch();
  const url = instance.configuration.urls.streaming;
  check(/^wss?:\/\//.test(url ?? ''), 'the instance names its streaming URL', instance.configuration.urls);
  const streaming = createStreamingAPIClient({ streamingApiUrl: url, accessToken: token, retry: 3 });
  const marker = `streamed to masto ${run}`;
  const subscription = streaming.user.subscribe();
  const received = (async () => {
    for await (const e of subscription) {
      if (e.event === 'update' && e.payload.content.includes(marker)) return e.payload;
    }
    return null;
  })();
  try {
    const { got, ids } = await postUntilReceived(bea, marker, received);
    check(ids.includes(got.id), 'the streamed status is one of the posts', { got: got.id, ids });
    check(got.account.username === bea.name, 'by the followed member', got.account);
  } finally {
    subscription.unsubscribe();
    streaming.close();
  }
}

async function megalodonStreaming(token, bea) {
  const client = generator('mastodon', BASE, token);
  const stream = await client.userStreaming();
  try {
    await new Promise((resolve, reject) => {
      stream.on('connect', resolve);
      stream.on('error', reject);
      setTimeout(() => reject(new Error('megalodon did not connect within 15 s')), 15_000);
    });
    const marker = `streamed to megalodon ${run}`;
    const received = new Promise((resolve) =>
      stream.on('update', (s) => {
        if (s.content.includes(marker)) resolve(s);
      }),
    );
    const { got, ids } = await postUntilReceived(bea, marker, received);
    check(ids.includes(got.id), 'the streamed status is one of the posts', { got: got.id, ids });
    check(got.account.username === bea.name, 'by the followed member', got.account);
  } finally {
    stream.stop();
  }
}

function mastoAdapter(client, appName) {
  return {
    appName,
    verifyCredentials: () => client.v1.accounts.verifyCredentials(),
    verifyApp: () => client.v1.apps.verifyCredentials(),
    lookup: (acct) => client.v1.accounts.lookup({ acct }),
    follow: (id) => client.v1.accounts.$select(id).follow(),
    upload: (description) =>
      client.v2.media.create({ file: new Blob([png(8, [29, 112, 184])], { type: 'image/png' }), description }),
    post: (status, mediaIds) => client.v1.statuses.create({ status, mediaIds, visibility: 'public' }),
    homePages: async (limit) => {
      const pages = [];
      for await (const page of client.v1.timelines.home.list({ limit })) {
        if (page.length) pages.push(page);
        if (pages.length > 50) break;
      }
      return pages;
    },
    favourite: (id) => client.v1.statuses.$select(id).favourite(),
    boost: (id) => client.v1.statuses.$select(id).reblog(),
    bookmark: (id) => client.v1.statuses.$select(id).bookmark(),
    bookmarks: () => client.v1.bookmarks.list(),
    notifications: () => client.v1.notifications.list({ limit: 40 }),
  };
}

function megalodonAdapter(client, appName, pngPath) {
  const data = (p) => p.then((r) => r.data);
  return {
    appName,
    verifyCredentials: () => data(client.verifyAccountCredentials()),
    verifyApp: () => data(client.verifyAppCredentials()),
    lookup: (acct) => data(client.lookupAccount(acct)),
    follow: (id) => data(client.followAccount(id)),
    upload: (description) => data(client.uploadMedia(createReadStream(pngPath), { description })),
    post: (status, mediaIds) => data(client.postStatus(status, { media_ids: mediaIds, visibility: 'public' })),
    homePages: async (limit) => {
      const pages = [];
      let options = { limit };
      for (;;) {
        const res = await client.getHomeTimeline(options);
        if (!res.data.length) break;
        pages.push(res.data);
        const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.link || '')?.[1];
        if (!next || pages.length > 50) break;
        options = { limit, max_id: new URL(next).searchParams.get('max_id') };
      }
      return pages;
    },
    favourite: (id) => data(client.favouriteStatus(id)),
    boost: (id) => data(client.reblogStatus(id)),
    bookmark: (id) => data(client.bookmarkStatus(id)),
    bookmarks: () => data(client.getBookmarks()),
    notifications: () => data(client.getNotifications({ limit: 40 })),
  };
}

// ---------------------------------------------------------------------------
// Search, lists, Link-header paging, markers and filters: a second story, through its own adapters
// ---------------------------------------------------------------------------
function newestFirst(ids) {
  return ids.every((id, i) => i === 0 || BigInt(ids[i - 1]) > BigInt(id));
}

async function organiseStory(lib, me, bea, o) {
  const beaId = (await o.lookup(bea.name)).id;
  const tag = `kh${run}${lib.slice(0, 4)}`;
  const beaPosts = [];
  for (let i = 0; i < 5; i++) {
    beaPosts.push(await api(bea.token, 'POST', '/api/v1/statuses', { status: `${lib} page ${i} #${tag} ${run}` }));
  }
  await step(`${lib}: search accounts, statuses and hashtags`, async () => {
    const byName = await o.search(bea.name, 'accounts');
    check(byName.accounts.some((a) => a.id === beaId), 'the account is found by name', byName.accounts);
    const byUrl = await o.search(beaPosts[0].uri, 'statuses', true);
    check(byUrl.statuses.some((s) => s.id === beaPosts[0].id), 'the status is found by its URL', byUrl.statuses);
    const byTag = await o.search(`#${tag}`, 'hashtags');
    check(byTag.hashtags.some((h) => h.name === tag), 'the hashtag is found', byTag.hashtags);
  });
  await step(`${lib}: make a list, add a followed account, read its timeline, remove, delete`, async () => {
    const list = await o.createList(`${lib} colleagues ${run}`);
    check(typeof list.id === 'string' && list.title === `${lib} colleagues ${run}`, 'the list', list);
    await o.addToList(list.id, beaId);
    check((await o.listAccounts(list.id)).map((a) => a.id).join() === beaId, 'the list holds the account');
    const fresh = await api(bea.token, 'POST', '/api/v1/statuses', { status: `For the ${lib} list ${run}` });
    const timeline = await o.listTimeline(list.id);
    check(timeline.some((s) => s.id === fresh.id), 'the list timeline shows the new post', timeline.map((s) => s.id));
    check(timeline.every((s) => s.account.id === beaId), 'and only posts of the list', timeline.map((s) => s.account.acct));
    await o.removeFromList(list.id, beaId);
    check((await o.listAccounts(list.id)).length === 0, 'the account is out of the list');
    await o.deleteList(list.id);
    check(!(await o.lists()).some((l) => l.id === list.id), 'the list is gone');
  });
  await step(`${lib}: page favourites and an account's posts with Link headers`, async () => {
    for (const p of beaPosts) await o.favourite(p.id);
    const pages = await o.favouritePages(2);
    const ids = pages.flat().map((s) => s.id);
    check(pages.every((p) => p.length <= 2) && pages.length >= 3, 'pages of at most two', pages.map((p) => p.length));
    check(new Set(ids).size === ids.length, 'no favourite twice across pages', ids);
    const order = beaPosts.map((p) => p.id).reverse();
    check(ids.filter((id) => order.includes(id)).join() === order.join(), 'newest favourite first', ids);
    const forward = (await o.accountPages(beaId, 2, 'next')).flat().map((s) => s.id);
    check(newestFirst(forward) && forward.length >= 5, 'the account pages newest first', forward);
    // From the fourth post, rel="prev" leads back up to the newest, a page at a time.
    const backward = (await o.accountPages(beaId, 2, 'prev', forward[3])).flat().map((s) => s.id);
    const upToStart = forward.slice(0, 6);
    check(new Set(backward).size === backward.length, 'no post twice going back', backward);
    check(upToStart.every((id) => backward.includes(id)), 'going back reaches the newest post', { forward, backward });
  });
  await step(`${lib}: save and read the home marker`, async () => {
    const newest = beaPosts[beaPosts.length - 1].id;
    const saved = await o.saveHomeMarker(newest);
    check(saved.lastReadId === newest, 'the saved marker', saved);
    const read = await o.homeMarker();
    check(read.lastReadId === newest && Number.isInteger(read.version), 'the marker reads back', read);
    check(!Number.isNaN(Date.parse(read.updatedAt)), 'with its update time', read);
  });
  if (o.filters) {
    await step(`${lib}: a v2 filter warns about a keyword in the home timeline`, async () => {
      const word = `spoon${run}`;
      const filter = await o.filters.create(`${lib} cutlery ${run}`, word);
      check(filter.keywords?.[0]?.keyword === word && filter.context.join() === 'home', 'the filter', filter);
      const hit = await api(bea.token, 'POST', '/api/v1/statuses', { status: `A ${word} story` });
      const home = await o.filters.home();
      const shown = home.find((s) => s.id === hit.id);
      check(shown?.filtered?.[0]?.filter?.id === filter.id, 'the status carries the filter result', shown);
      check(shown.filtered[0].keywordMatches?.includes(word), 'with the matched keyword', shown.filtered[0]);
      await o.filters.remove(filter.id);
      const after = (await o.filters.home()).find((s) => s.id === hit.id);
      check(after && (after.filtered ?? []).length === 0, 'no filter result once the filter is deleted', after);
    });
  }
}

function mastoOrganiser(client) {
  const collect = async (paginator) => {
    const pages = [];
    for await (const page of paginator) {
      if (page.length) pages.push(page);
      if (pages.length > 50) break;
    }
    return pages;
  };
  const marker = (m) => ({ lastReadId: m.home?.lastReadId, version: m.home?.version, updatedAt: m.home?.updatedAt });
  return {
    lookup: (acct) => client.v1.accounts.lookup({ acct }),
    search: (q, type, resolve = false) => client.v2.search.list({ q, type, resolve }),
    createList: (title) => client.v1.lists.create({ title }),
    addToList: (id, accountId) => client.v1.lists.$select(id).accounts.create({ accountIds: [accountId] }),
    listAccounts: (id) => client.v1.lists.$select(id).accounts.list(),
    listTimeline: (id) => client.v1.timelines.list.$select(id).list({ limit: 20 }),
    removeFromList: (id, accountId) => client.v1.lists.$select(id).accounts.remove({ accountIds: [accountId] }),
    deleteList: (id) => client.v1.lists.$select(id).remove(),
    lists: () => client.v1.lists.list(),
    favourite: (id) => client.v1.statuses.$select(id).favourite(),
    favouritePages: (limit) => collect(client.v1.favourites.list({ limit })),
    accountPages: (id, limit, direction, maxId) =>
      collect(client.v1.accounts.$select(id).statuses.list({ limit, maxId }).setDirection(direction)),
    saveHomeMarker: async (id) => marker(await client.v1.markers.create({ home: { lastReadId: id } })),
    homeMarker: async () => marker(await client.v1.markers.fetch({ timeline: ['home'] })),
    filters: {
      create: (title, keyword) =>
        client.v2.filters.create({
          title,
          context: ['home'],
          filterAction: 'warn',
          keywordsAttributes: [{ keyword, wholeWord: true }],
        }),
      home: () => client.v1.timelines.home.list({ limit: 40 }),
      remove: (id) => client.v2.filters.$select(id).remove(),
    },
  };
}

function megalodonOrganiser(client) {
  const data = (p) => p.then((r) => r.data);
  const linked = (res, rel) => {
    const m = new RegExp(`<([^>]+)>;\\s*rel="${rel}"`).exec(res.headers.link || '');
    return m ? new URL(m[1]).searchParams : undefined;
  };
  // Follows rel="next" (max_id) or rel="prev" (min_id) until a page comes back empty.
  const walk = async (fetchPage, limit, direction, start = {}) => {
    const pages = [];
    let options = { limit, ...start };
    for (;;) {
      const res = await fetchPage(options);
      if (!res.data.length) break;
      pages.push(res.data);
      const params = linked(res, direction);
      if (!params || pages.length > 50) break;
      const key = direction === 'next' ? 'max_id' : 'min_id';
      options = { limit, [key]: params.get(key) };
    }
    return pages;
  };
  const marker = (m) => ({ lastReadId: m.home?.last_read_id, version: m.home?.version, updatedAt: m.home?.updated_at });
  return {
    lookup: (acct) => data(client.lookupAccount(acct)),
    search: (q, type, resolve = false) => data(client.search(q, { type, resolve })),
    createList: (title) => data(client.createList(title)),
    addToList: (id, accountId) => data(client.addAccountsToList(id, [accountId])),
    listAccounts: (id) => data(client.getAccountsInList(id)),
    listTimeline: (id) => data(client.getListTimeline(id, { limit: 20 })),
    removeFromList: (id, accountId) => data(client.deleteAccountsFromList(id, [accountId])),
    deleteList: (id) => data(client.deleteList(id)),
    lists: () => data(client.getLists()),
    favourite: (id) => data(client.favouriteStatus(id)),
    favouritePages: (limit) => walk((o) => client.getFavourites(o), limit, 'next'),
    accountPages: (id, limit, direction, maxId) =>
      walk((o) => client.getAccountStatuses(id, o), limit, direction, maxId ? { max_id: maxId } : {}),
    saveHomeMarker: async (id) => marker(await data(client.saveMarkers({ home: { last_read_id: id } }))),
    homeMarker: async () => marker(await data(client.getMarkers(['home']))),
    // megalodon 10 speaks only v1 filters, which khub serves read-only: markers are its part.
    filters: undefined,
  };
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------
const tmp = mkdtempSync(join(tmpdir(), 'khub-clients-'));
let callback;
try {
  const [ana, mel, bea] = await step('create three members with the admin command', async () =>
    ['a', 'm', 'b'].map((s) => createMember(`cl${run}${s}`)),
  );

  // masto: app, consent with fetch (PKCE S256 + state), token, story.
  console.log('masto 7.12.0');
  const mastoCallback = 'https://masto.example/callback';
  const mastoApp = await step('masto: register an app', async () => {
    const app = await createRestAPIClient({ url: BASE }).v1.apps.create({
      clientName: 'masto test',
      redirectUris: mastoCallback,
      scopes: SCOPES,
      website: 'https://github.com/neet/masto.js',
    });
    check(app.clientId && app.clientSecret, 'client_id and client_secret', app);
    check(app.redirectUri === mastoCallback, 'redirect_uri', app);
    return app;
  });
  const mastoToken = await step('masto: authorization code with PKCE through the consent page', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const state = `masto-${run}`;
    const url = `${BASE}/oauth/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: mastoApp.clientId,
      redirect_uri: mastoCallback,
      scope: SCOPES,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })}`;
    const back = await consentWithFetch(url, ana, 'masto test');
    check(back.origin + back.pathname === mastoCallback, 'back at the redirect URI', back.href);
    check(back.searchParams.get('state') === state, 'the state comes back', back.href);
    const token = await createOAuthAPIClient({ url: BASE }).token.create({
      grantType: 'authorization_code',
      clientId: mastoApp.clientId,
      clientSecret: mastoApp.clientSecret,
      redirectUri: mastoCallback,
      code: back.searchParams.get('code'),
      codeVerifier: verifier,
    });
    check(token.accessToken && token.tokenType === 'Bearer' && token.scope === SCOPES, 'a Bearer token', token);
    return token;
  });
  await story('masto', ana, bea, mastoAdapter(createRestAPIClient({ url: BASE, accessToken: mastoToken.accessToken }), 'masto test'));
  await step('masto: the streaming client (createStreamingAPIClient) receives a new post', () =>
    mastoStreaming(mastoToken.accessToken, bea),
  );
  await organiseStory('masto', ana, bea, mastoOrganiser(createRestAPIClient({ url: BASE, accessToken: mastoToken.accessToken })));

  // megalodon: app, consent in Chromium with a redirect back to a server here, token, story.
  console.log('megalodon 10.0.5');
  callback = await callbackServer();
  const megalodon = generator('mastodon', BASE);
  const megaApp = await step('megalodon: register an app', async () => {
    const app = await megalodon.registerApp('megalodon test', {
      scopes: SCOPES.split(' '),
      redirect_uris: callback.url,
      website: 'https://github.com/h3poteto/megalodon',
    });
    check(app.client_id && app.client_secret && app.url, 'credentials and an authorization URL', app);
    return app;
  });
  const megaToken = await step('megalodon: authorization code through the consent page in Chromium', async () => {
    const params = await consentInChromium(megaApp.url, mel, 'megalodon test', callback.received);
    check(params.get('code'), 'a code at the callback', params.toString());
    const token = await megalodon.fetchAccessToken(megaApp.client_id, megaApp.client_secret, params.get('code'), callback.url);
    // megalodon's Mastodon converter drops refresh_token (Mastodon issues none); tests/oauth.rs covers it.
    check(token.access_token && token.scope === SCOPES, 'an access token with the scopes', token);
    return token;
  });
  const pngPath = join(tmp, 'square.png');
  writeFileSync(pngPath, png(8, [0, 112, 60]));
  await story('megalodon', mel, bea, megalodonAdapter(generator('mastodon', BASE, megaToken.access_token), 'megalodon test', pngPath));
  await step('megalodon: its user streaming receives a new post', () => megalodonStreaming(megaToken.access_token, bea));
  await organiseStory('megalodon', mel, bea, megalodonOrganiser(generator('mastodon', BASE, megaToken.access_token)));
  await step('megalodon: revoke the token', async () => {
    await megalodon.revokeToken(megaApp.client_id, megaApp.client_secret, megaToken.access_token);
    const revoked = await fetch(`${BASE}/api/v1/accounts/verify_credentials`, {
      headers: { authorization: `Bearer ${megaToken.access_token}` },
    });
    check(revoked.status === 401, 'a revoked token stops working at once', revoked.status);
  });
  console.log('client libraries: all checks passed');
} catch (e) {
  const detail = e?.response?.data ? `\n  response: ${JSON.stringify(e.response.data)}` : '';
  console.error(`FAILED at "${currentStep}": ${e?.stack || e}${detail}`);
  process.exitCode = 1;
} finally {
  callback?.server.close();
  rmSync(tmp, { recursive: true, force: true });
}
