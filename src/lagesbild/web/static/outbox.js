// The device's outbox of the offline forms (the field report, report.js; the observation round,
// observe.js): every item is first kept on the device (localStorage) with its own
// Idempotency-Key, then sent; an item that cannot be sent stays and is sent again when the
// network is back (on 'online', on load and every 20 s), always with the same key, so the server
// stores it exactly once however many times it arrives. An item leaves the outbox only when the
// server has answered for it: stored now, stored already under the same key, or refused.
window.lbOutbox = function (o) {
  // o.key: the localStorage key; o.user: who is signed in; o.url: where items are posted;
  // o.body(item): what is posted; o.anyOwner: items kept before users were recorded count as
  // anyone's; o.say(kind, vars): a status line ('sending', 'queued', 'sent', 'rejected');
  // o.shown(n): how many wait; o.sent(item), o.refused(item), o.flushed(): the page's follow-up.
  'use strict';
  let csrf = document.querySelector('meta[name="csrf-token"]').content;
  let sending = false;
  const readAll = () => { try { return JSON.parse(localStorage.getItem(o.key) || '[]'); } catch (e) { return []; } };
  const writeBox = items => localStorage.setItem(o.key, JSON.stringify(items));
  // The outbox is shared by everyone who signs in on this device: each item carries the user who
  // made it and is sent only in that user's session, never as someone else's (their
  // organisation would own it).
  const ownedHere = i => i.user === o.user || (o.anyOwner && !i.user);
  const read = () => readAll().filter(ownedHere);
  const drop = key => writeBox(readAll().filter(i => i.key !== key));
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = new Uint8Array(16); crypto.getRandomValues(b);
    return Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
  }
  async function freshCsrf() {  // a new session: fetch its CSRF token
    const r = await fetch('/api/v1/me', { credentials: 'same-origin' });
    const me = await r.json();
    if (me.username !== o.user) return false;  // someone else's session: keep the items
    if (me.csrf_token) csrf = me.csrf_token;
    return me.signed_in;
  }
  const post = item => fetch(o.url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': item.key, 'X-CSRF-Token': csrf },
    body: JSON.stringify(o.body(item)),
  });
  async function flush() {  // every item, one at a time
    if (sending) return;
    sending = true;
    try {
      for (const item of read()) {
        let r;
        try {
          o.say('sending');
          r = await post(item);
          if (r.status === 403 || r.status === 401) { if (await freshCsrf()) r = await post(item); }
        } catch (e) {
          o.say('queued');
          break;  // still offline: keep the rest for later
        }
        if (r.ok) {
          drop(item.key);
          o.say('sent');
          o.sent(item);
        } else if (r.status >= 400 && r.status < 500 && r.status !== 401 && r.status !== 403 && r.status !== 429) {
          let detail = String(r.status);
          try { detail = (await r.json()).detail || detail; } catch (e) { /* keep the status */ }
          drop(item.key);
          o.say('rejected', { msg: detail });
          o.refused(item);
        } else {
          o.say('queued');
          break;  // the server is busy or down: try again later
        }
      }
    } finally {
      sending = false;
      o.shown(read().length);
      o.flushed();
    }
  }
  function add(item) {  // kept on the device first, then sent
    writeBox([...readAll(), { ...item, user: o.user }]);
    o.shown(read().length);
    flush();
  }
  window.addEventListener('online', flush);
  setInterval(() => { if (read().length) flush(); }, 20000);
  flush();  // ends by showing what waits
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
  }
  return { add, flush, read, newKey };
};
