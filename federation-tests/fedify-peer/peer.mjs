// An independent ActivityPub peer for khub's federation tests, built on Fedify (npm
// @fedify/fedify): one actor, `peer`, with RSA and Ed25519 keys, WebFinger, an inbox that
// verifies HTTP signatures (Fedify does; nothing here skips it), and its notes served by id.
//
// It listens on 127.0.0.1 (PORT, or a free port) under the origin http://localhost:PORT, prints
// `listening PORT` on stdout once it serves, and offers a small control API for the test:
//   GET  /control/actor                  -> { id, handle, inbox }
//   GET  /control/inbox                  -> { activities: [...], deliveries: [...] }
//   POST /control/follow   { target }    -> Follow an actor (a URL or user@host handle)
//   POST /control/unfollow { target }    -> Undo that Follow
//   POST /control/reply    { inReplyTo, content }   -> a public reply to a post
//   POST /control/act-on   { type, object, to? }    -> Delete or Update an object (anyone's),
//                                                      sent to `to` (an actor) or its author
// Each POST answers { id, delivered, error? }: whether the receiving server accepted the delivery.
//
// Fedify is told to allow private addresses (`allowPrivateAddress`), and every request this
// process makes goes through a `fetch` that refuses anything but loopback hosts: the peer never
// reaches further than this machine. Signatures are verified as Fedify always does.
import dns from "node:dns";
import http from "node:http";
import { AsyncLocalStorage } from "node:async_hooks";
import { Writable } from "node:stream";
import { configure, getStreamSink } from "@logtape/logtape";
import { Temporal } from "@js-temporal/polyfill";
import {
  Activity,
  Create,
  Delete,
  Endpoints,
  Follow,
  MemoryKvStore,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Undo,
  Update,
  createFederation,
  generateCryptoKeyPair,
  getDocumentLoader,
  verifyRequest,
} from "@fedify/fedify";

// `localhost` must reach the servers that listen on 127.0.0.1.
dns.setDefaultResultOrder("ipv4first");

// Fedify's own log goes to stderr (PEER_LOG=debug for everything it does).
await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: { stderr: getStreamSink(Writable.toWeb(process.stderr)) },
  loggers: [
    { category: "fedify", lowestLevel: process.env.PEER_LOG ?? "info", sinks: ["stderr"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
  ],
});

const ACTOR = "peer";
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Refuses every URL that is not on this machine's loopback interface. */
function loopbackOnly(url) {
  const u = new URL(url);
  if (!LOOPBACK_HOSTS.has(u.hostname) || (u.protocol !== "http:" && u.protocol !== "https:")) {
    throw new Error(`the test peer only talks to loopback hosts, not ${u.origin}`);
  }
}

const networkFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  loopbackOnly(input instanceof Request ? input.url : String(input));
  return networkFetch(input, init);
};

const kv = new MemoryKvStore();
// For the independent signature check (Fedify's own JSON-LD contexts are preloaded).
const documentLoader = getDocumentLoader({ allowPrivateAddress: true });

// What the inbox received, in order, and how each delivery to it went.
const activities = [];
const deliveries = [];
// The signature check of the request being handled, for the inbox listeners.
const requestSignature = new AsyncLocalStorage();
const notes = new Map();
// The Follow sent to each actor, for Undo.
const follows = new Map();
let keyPairs = null;
let sequence = 0;

async function keys() {
  // RSA signs HTTP requests; Ed25519 adds Object Integrity Proofs (FEP-8b32) to what it sends,
  // as Fedify-based servers do.
  keyPairs ??= [await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"), await generateCryptoKeyPair("Ed25519")];
  return keyPairs;
}

function buildFederation(origin) {
  const federation = createFederation({
    kv,
    origin,
    // Loopback only: see the `fetch` above.
    allowPrivateAddress: true,
  });

  federation
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      if (identifier !== ACTOR) return null;
      const keyPairs = await ctx.getActorKeyPairs(identifier);
      return new Person({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        name: "Fedify Peer",
        summary: "An independent ActivityPub implementation, for khub's tests.",
        inbox: ctx.getInboxUri(identifier),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        url: ctx.getActorUri(identifier),
        manuallyApprovesFollowers: false,
        publicKey: keyPairs[0].cryptographicKey,
        assertionMethods: keyPairs.map((k) => k.multikey),
      });
    })
    .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === ACTOR ? keys() : []));

  federation.setObjectDispatcher(Note, "/notes/{id}", (_ctx, { id }) => notes.get(id) ?? null);

  const record = async (ctx, activity) => {
    const signature = requestSignature.getStore() ?? null;
    activities.push({
      id: activity.id?.href ?? null,
      type: activity.constructor.name,
      actor: activity.actorId?.href ?? null,
      // Fedify calls listeners only for activities whose signature it verified; this is the key
      // that signed the request, as an independent check of the same request found it.
      signature,
      json: await activity.toJsonLd({ contextLoader: ctx.contextLoader, format: "compact" }),
    });
  };
  federation
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    // Every kind of activity (Accept, Create, Delete, Undo, ...) is recorded as it came.
    .on(Activity, record);
  return federation;
}

function json(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
}

/** The actor a control request names: an actor URL, or a user@host handle (WebFinger over http). */
async function resolveActor(ctx, target) {
  let url = target;
  if (!/^https?:/.test(target)) {
    const handle = target.replace(/^@/, "");
    const host = handle.split("@")[1];
    const wf = `http://${host}/.well-known/webfinger?resource=${encodeURIComponent(`acct:${handle}`)}`;
    const jrd = await (await fetch(wf, { headers: { accept: "application/jrd+json" } })).json();
    url = jrd.links?.find((l) => l.rel === "self" && /activity\+json|ld\+json/.test(l.type ?? ""))?.href;
    if (!url) throw new Error(`no actor link in the WebFinger answer for ${handle}`);
  }
  const actor = await ctx.lookupObject(url);
  if (actor?.inboxId == null) throw new Error(`${url} is not an actor with an inbox`);
  return actor;
}

async function send(ctx, recipient, activity) {
  try {
    await ctx.sendActivity({ identifier: ACTOR }, recipient, activity, { immediate: true, fanout: "skip" });
    return { id: activity.id.href, delivered: true };
  } catch (e) {
    return { id: activity.id.href, delivered: false, error: String(e?.message ?? e) };
  }
}

function newId(ctx, kind) {
  sequence += 1;
  return new URL(`/activities/${kind}/${Date.now()}-${sequence}`, ctx.origin);
}

async function control(ctx, path, body) {
  const me = ctx.getActorUri(ACTOR);
  switch (path) {
    case "/control/follow": {
      const target = await resolveActor(ctx, body.target);
      const follow = new Follow({ id: newId(ctx, "follow"), actor: me, object: target.id });
      follows.set(target.id.href, follow);
      return send(ctx, target, follow);
    }
    case "/control/unfollow": {
      const target = await resolveActor(ctx, body.target);
      const follow = follows.get(target.id.href);
      if (follow == null) throw new Error(`not following ${target.id.href}`);
      follows.delete(target.id.href);
      return send(ctx, target, new Undo({ id: newId(ctx, "undo"), actor: me, object: follow }));
    }
    case "/control/reply": {
      const parent = await ctx.lookupObject(body.inReplyTo);
      const authorId = parent?.attributionId;
      if (authorId == null) throw new Error(`cannot find the author of ${body.inReplyTo}`);
      const author = await resolveActor(ctx, authorId.href);
      sequence += 1;
      const noteId = `${Date.now()}-${sequence}`;
      const note = new Note({
        id: ctx.getObjectUri(Note, { id: noteId }),
        attribution: me,
        to: PUBLIC_COLLECTION,
        cc: author.id,
        replyTarget: new URL(body.inReplyTo),
        content: body.content,
        published: Temporal.Now.instant(),
      });
      notes.set(noteId, note);
      const create = new Create({
        id: newId(ctx, "create"),
        actor: me,
        to: PUBLIC_COLLECTION,
        cc: author.id,
        object: note,
      });
      return send(ctx, author, create);
    }
    case "/control/act-on": {
      // A validly signed activity by this peer about any object: someone else's, or its own reply.
      const object = await ctx.lookupObject(body.object);
      if (object?.attributionId == null) throw new Error(`cannot find the author of ${body.object}`);
      const recipient = await resolveActor(ctx, body.to ?? object.attributionId.href);
      let activity;
      if (body.type === "Delete") {
        const own = object.id.href.startsWith(new URL("/notes/", ctx.origin).href);
        if (own) notes.delete(object.id.pathname.split("/").pop());
        activity = new Delete({ id: newId(ctx, "delete"), actor: me, to: PUBLIC_COLLECTION, object: object.id });
      } else if (body.type === "Update") {
        const changed = object.clone({ content: body.content ?? "REWRITTEN BY THE PEER", updated: Temporal.Now.instant() });
        activity = new Update({ id: newId(ctx, "update"), actor: me, to: PUBLIC_COLLECTION, object: changed });
      } else {
        throw new Error(`unknown act-on type ${body.type}`);
      }
      return send(ctx, recipient, activity);
    }
    default:
      return null;
  }
}

async function main() {
  const server = http.createServer();
  await new Promise((ok) => server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", ok));
  const port = server.address().port;
  const origin = `http://localhost:${port}`;
  const federation = buildFederation(origin);
  await keys();

  server.on("request", async (req, res) => {
    try {
      const url = new URL(req.url, origin);
      if (req.method === "GET" && url.pathname === "/control/actor") {
        const ctx = federation.createContext(new URL(origin));
        return json(res, 200, {
          id: ctx.getActorUri(ACTOR).href,
          handle: `${ACTOR}@localhost:${port}`,
          inbox: ctx.getInboxUri(ACTOR).href,
        });
      }
      if (req.method === "GET" && url.pathname === "/control/inbox") {
        return json(res, 200, { activities, deliveries });
      }
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await readBody(req);
      if (req.method === "POST" && url.pathname.startsWith("/control/")) {
        const ctx = federation.createContext(new URL(origin));
        const result = await control(ctx, url.pathname, JSON.parse(body.toString("utf8") || "{}"));
        return result ? json(res, 200, result) : json(res, 404, { error: "no such control" });
      }
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) {
        if (Array.isArray(v)) v.forEach((x) => headers.append(k, x));
        else if (v != null) headers.set(k, v);
      }
      const request = new Request(url, { method: req.method, headers, body });
      const isInbox = req.method === "POST" && /\/inbox$/.test(url.pathname);
      // An independent check of the request's signature, recorded next to what Fedify does with it.
      let signature = null;
      if (isInbox) {
        const key = await verifyRequest(request.clone(), { documentLoader, contextLoader: documentLoader }).catch(
          () => null,
        );
        signature = { verified: key != null, keyId: key?.id?.href ?? null, owner: key?.ownerId?.href ?? null };
      }
      const response = await requestSignature.run(signature, () =>
        federation.fetch(request, { contextData: undefined }),
      );
      if (isInbox) {
        deliveries.push({ path: url.pathname, status: response.status, signature, body: body.toString("utf8") });
      }
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (e) {
      console.error(e);
      json(res, 500, { error: String(e?.message ?? e) });
    }
  });
  console.log(`listening ${port}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
