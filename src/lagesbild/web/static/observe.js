// Observation rounds with an outbox, as the field report (report.js): each round is first kept
// on the device (localStorage) with its own key, then sent; a round that cannot be sent stays
// in the outbox and is sent again when the network is back (on 'online', on load and every
// 20 s), always with the same key, so the server stores it exactly once.
(function () {
  'use strict';
  const cfg = JSON.parse(document.getElementById('lb-config').textContent);
  const msg = (k, v) => (cfg.msg[k] || k).replace(/\{(\w+)\}/g, (_, n) => (v || {})[n]);
  const KEY = 'lagesbild.rounds.v1';
  const form = document.getElementById('observation-round-form');
  const status = document.getElementById('observe-status');
  const outbox = document.getElementById('observe-outbox');
  let csrf = document.querySelector('meta[name="csrf-token"]').content;
  let sending = false;

  const readAll = () => { try { return JSON.parse(localStorage.getItem(KEY) || '[]'); } catch (e) { return []; } };
  const writeBox = items => localStorage.setItem(KEY, JSON.stringify(items));
  const ownedHere = i => i.user === cfg.user;  // sent only in the session of who made it
  const readBox = () => readAll().filter(ownedHere);
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = new Uint8Array(16); crypto.getRandomValues(b);
    return Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
  }
  function showOutbox() {
    const n = readBox().length;
    outbox.textContent = n ? msg('observe_outbox', { n }) : '';
    document.body.dataset.outbox = String(n);
  }

  // the + and - buttons beside each group's count
  form.querySelectorAll('button.step').forEach(b => b.addEventListener('click', () => {
    const input = document.getElementById(b.dataset.for);
    input.value = String(Math.max(0, (parseInt(input.value, 10) || 0) + Number(b.dataset.step)));
  }));

  function round() {
    const f = form.elements;
    const counts = {};
    form.querySelectorAll('input[name^="count_"]').forEach(i => { counts[i.name.slice(6)] = parseInt(i.value, 10) || 0; });
    const activities = [...form.querySelectorAll('input[name^="act_"]:checked')].map(i => i.name.slice(4));
    return {
      key: f.key.value || newKey(), place: f.place.value, started_at: f.started_at.value,
      counts, weather: f.weather.value, activities, note: f.note.value.trim(),
      planned_id: f.planned_id.value || null,
    };
  }

  async function freshCsrf() {
    const r = await fetch('/api/v1/me', { credentials: 'same-origin' });
    const me = await r.json();
    if (me.username !== cfg.user) return false;
    if (me.csrf_token) csrf = me.csrf_token;
    return me.signed_in;
  }
  const post = item => fetch('/api/v1/observation_rounds', {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': item.key, 'X-CSRF-Token': csrf },
    body: JSON.stringify(item.round),
  });

  async function flush() {
    if (sending) return;
    sending = true;
    try {
      for (const item of readBox()) {
        let r;
        try {
          status.textContent = msg('observe_sending');
          r = await post(item);
          if (r.status === 403 || r.status === 401) { if (await freshCsrf()) r = await post(item); }
        } catch (e) {
          status.textContent = msg('observe_queued');
          break;  // still offline: keep the rest for later
        }
        if (r.ok) {
          writeBox(readAll().filter(i => i.key !== item.key));
          status.textContent = msg('observe_sent');
          const li = document.createElement('li');
          li.textContent = `${item.round.place} · ${item.round.started_at.replace('T', ' ')}`;
          const list = document.getElementById('recent-rounds');
          const none = list.querySelector('.none'); if (none) none.remove();
          list.prepend(li);
        } else if (r.status >= 400 && r.status < 500 && r.status !== 401 && r.status !== 403 && r.status !== 429) {
          let detail = String(r.status);
          try { detail = (await r.json()).detail || detail; } catch (e) { /* keep the status */ }
          writeBox(readAll().filter(i => i.key !== item.key));
          status.textContent = msg('observe_rejected', { msg: detail });
        } else {
          status.textContent = msg('observe_queued');
          break;
        }
      }
    } finally {
      sending = false;
      showOutbox();
    }
  }

  form.addEventListener('submit', ev => {
    ev.preventDefault();
    const r = round();
    if (!r.place) { status.textContent = msg('observe_place'); form.elements.place.focus(); return; }
    const items = readAll();
    items.push({ key: r.key, user: cfg.user, round: r });
    writeBox(items);
    // a fresh form for the next round: a new key, the counts back to 0
    form.elements.key.value = newKey();
    form.querySelectorAll('input[name^="count_"]').forEach(i => { i.value = '0'; });
    form.querySelectorAll('input[name^="act_"]').forEach(i => { i.checked = false; });
    form.elements.note.value = '';
    showOutbox();
    flush();
  });
  window.addEventListener('online', flush);
  setInterval(flush, 20000);
  showOutbox();
  flush();
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
  }
}());
