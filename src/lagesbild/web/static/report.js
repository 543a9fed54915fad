// Field reports with an outbox: every report is first kept on the device (localStorage) with
// its own Idempotency-Key, then sent; a report that cannot be sent stays in the outbox and is
// sent again when the network is back (on 'online', on load, and every 20 s), always with the
// same key, so the server stores it exactly once however many times it arrives.
(function () {
  'use strict';
  const cfg = JSON.parse(document.getElementById('lb-config').textContent);
  const msg = (k, v) => (cfg.msg[k] || k).replace(/\{(\w+)\}/g, (_, n) => (v || {})[n]);
  const KEY = 'lagesbild.outbox.v1';
  const form = document.getElementById('report-form');
  const status = document.getElementById('report-status');
  const outboxStatus = document.getElementById('outbox-status');
  let csrf = document.querySelector('meta[name="csrf-token"]').content;
  let sending = false;

  const readAll = () => { try { return JSON.parse(localStorage.getItem(KEY) || '[]'); } catch (e) { return []; } };
  const writeBox = items => localStorage.setItem(KEY, JSON.stringify(items));
  // The outbox is shared by everyone who signs in on this device: each report carries the
  // user who made it and is sent only in that user's session, never as someone else's (their
  // organisation would own it). Reports kept before users were recorded count as anyone's.
  const ownedHere = i => !i.user || i.user === cfg.user;
  const readBox = () => readAll().filter(ownedHere);
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = new Uint8Array(16); crypto.getRandomValues(b);
    return Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
  }
  function showOutbox() {
    const n = readBox().length;
    outboxStatus.textContent = n ? msg('outbox', { n }) : '';
    document.body.dataset.outbox = String(n);
  }

  // ------------------------------------------------------------ validation beside the fields
  // the store's region [minlon, minlat, maxlon, maxlat], as the server checks it
  const [minLon, minLat, maxLon, maxLat] = cfg.region || [10, 55, 24.5, 69.5];
  const inside = (v, lo, hi) => {
    const x = Number(v.replace(',', '.'));
    return v !== '' && x >= lo && x <= hi;
  };
  const RULES = {
    lat: v => (v === '' ? 'position' : (inside(v, minLat, maxLat) ? null : 'lat')),
    lon: v => (v === '' ? 'position' : (inside(v, minLon, maxLon) ? null : 'lon')),
    category: v => (v ? null : 'category'),
    count: v => (/^\d+$/.test(v) && +v >= 1 && +v <= 1000 ? null : 'count'),
    occurred_at: v => (v ? null : 'when'),
  };
  const ERR_TEXT = JSON.parse(form.dataset.errors || '{}');
  function setError(name, text) {
    const input = form.elements[name];
    let p = document.getElementById(name + '-error');
    if (!text) {
      if (p) p.remove();
      input.removeAttribute('aria-invalid');
      return;
    }
    if (!p) {
      p = document.createElement('p');
      p.className = 'field-error'; p.id = name + '-error'; p.setAttribute('role', 'alert');
      input.insertAdjacentElement('afterend', p);
    }
    p.textContent = text;
    input.setAttribute('aria-invalid', 'true');
    const ids = new Set((input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean));
    ids.add(p.id);
    input.setAttribute('aria-describedby', [...ids].join(' '));
  }
  function validate() {
    let first = null;
    Object.entries(RULES).forEach(([name, rule]) => {
      const code = rule(form.elements[name].value.trim());
      setError(name, code ? ERR_TEXT[code] : null);
      if (code && !first) first = form.elements[name];
    });
    if (first) first.focus();
    return !first;
  }

  // ------------------------------------------------------------ sending
  async function freshCsrf() {
    const r = await fetch('/api/v1/me', { credentials: 'same-origin' });
    const me = await r.json();
    if (me.username !== cfg.user) return false;  // someone else's session: keep the reports
    if (me.csrf_token) csrf = me.csrf_token;
    return me.signed_in;
  }
  async function post(item) {
    return fetch('/api/v1/observations', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': item.key, 'X-CSRF-Token': csrf },
      body: JSON.stringify({ type: 'Feature', properties: item.properties }),
    });
  }
  // Send every report in the outbox, one at a time; a report leaves the outbox only when the
  // server has answered for it (stored now, or already stored under the same key).
  async function flush() {
    if (sending) return;
    sending = true;
    try {
      for (const item of readBox()) {
        let r;
        try {
          status.textContent = msg('sending');
          r = await post(item);
          if (r.status === 403 || r.status === 401) {  // a new session: fetch its CSRF token
            if (await freshCsrf()) r = await post(item);
          }
        } catch (e) {
          status.textContent = msg('queued');
          break;  // still offline: keep the rest for later
        }
        if (r.ok) {
          writeBox(readAll().filter(i => i.key !== item.key));
          status.textContent = msg('sent');
        } else if (r.status >= 400 && r.status < 500 && r.status !== 401 && r.status !== 403 && r.status !== 429) {
          let detail = String(r.status);
          try { detail = (await r.json()).detail || detail; } catch (e) { /* keep the status */ }
          writeBox(readAll().filter(i => i.key !== item.key));
          status.textContent = msg('rejected', { msg: detail });
          restore(item);
        } else {
          status.textContent = msg('queued');
          break;  // the server is busy or down: try again later
        }
      }
    } finally {
      sending = false;
      showOutbox();
      refreshMine();
    }
  }
  function restore(item) {  // put a rejected report back in the form, so nothing is lost
    const p = item.properties;
    ['category', 'count', 'text', 'lat', 'lon'].forEach(k => { if (p[k] !== undefined && p[k] !== null) form.elements[k].value = p[k]; });
  }

  async function refreshMine() {
    try {
      const r = await fetch('/report/mine.json', { credentials: 'same-origin' });
      if (!r.ok) return;
      const rows = await r.json();
      const ul = document.getElementById('mine');
      ul.innerHTML = '';
      readBox().forEach(i => {
        const li = document.createElement('li');
        li.className = 'pending';
        li.textContent = `${i.label} · ${i.properties.occurred_at} · ${msg('pending')}`;
        ul.appendChild(li);
      });
      rows.forEach(x => {
        const li = document.createElement('li');
        li.dataset.id = x.id;
        const a = document.createElement('a');
        a.href = `/#z=18&c=${x.lat.toFixed(5)},${x.lon.toFixed(5)}&from=${x.day}&to=${x.day}&layers=observations`;
        a.textContent = document.querySelector('nav.menu a[href="/"]').textContent;
        li.append(`${x.label} · ${x.when}${x.count ? ' · ' + x.count : ''}${x.text ? ' · ' + x.text : ''} · `, a);
        ul.appendChild(li);
      });
      if (!ul.children.length) {
        const li = document.createElement('li');
        li.textContent = ul.dataset.none;
        ul.appendChild(li);
      }
    } catch (e) { /* offline: keep the list as it is */ }
  }

  form.addEventListener('submit', ev => {
    ev.preventDefault();
    if (!validate()) return;
    const f = form.elements;
    const sel = f.category;
    const item = {
      key: newKey(),
      user: cfg.user,
      label: sel.options[sel.selectedIndex].text,
      properties: {
        category: sel.value,
        count: parseInt(f.count.value, 10),
        text: f.text.value.trim() || null,
        occurred_at: f.occurred_at.value.replace('T', ' '),
        lat: parseFloat(f.lat.value.replace(',', '.')),
        lon: parseFloat(f.lon.value.replace(',', '.')),
      },
    };
    writeBox([...readAll(), item]);  // kept on the device first, then sent
    f.text.value = '';
    f.count.value = '1';
    showOutbox();
    flush();
  });
  window.addEventListener('online', flush);
  setInterval(() => { if (readBox().length) flush(); }, 20000);
  showOutbox();
  flush();
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
  }
  window.LBOutbox = { flush, read: readBox };
})();
