// Field reports with an outbox (outbox.js): every report is kept on the device first and sent
// with its own Idempotency-Key until the server has answered for it, so it is stored exactly once.
(function () {
  'use strict';
  const cfg = JSON.parse(document.getElementById('lb-config').textContent);
  const msg = (k, v) => (cfg.msg[k] || k).replace(/\{(\w+)\}/g, (_, n) => (v || {})[n]);
  const form = document.getElementById('report-form');
  const status = document.getElementById('report-status');
  const outboxStatus = document.getElementById('outbox-status');

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

  function restore(item) {  // put a rejected report back in the form, so nothing is lost
    const p = item.properties;
    ['category', 'count', 'text', 'lat', 'lon'].forEach(k => { if (p[k] !== undefined && p[k] !== null) form.elements[k].value = p[k]; });
  }

  function showOutbox(n) {
    outboxStatus.textContent = n ? msg('outbox', { n }) : '';
    document.body.dataset.outbox = String(n);
  }
  const box = window.lbOutbox({
    key: 'lagesbild.outbox.v1',
    user: cfg.user,
    anyOwner: true,  // reports kept before users were recorded
    url: '/api/v1/observations',
    body: item => ({ type: 'Feature', properties: item.properties }),
    say: (kind, vars) => { status.textContent = msg(kind, vars); },
    shown: showOutbox,
    sent: () => {},
    refused: restore,  // put a refused report back in the form, so nothing is lost
    flushed: refreshMine,
  });

  async function refreshMine() {
    try {
      const r = await fetch('/report/mine.json', { credentials: 'same-origin' });
      if (!r.ok) return;
      const rows = await r.json();
      const ul = document.getElementById('mine');
      ul.innerHTML = '';
      box.read().forEach(i => {
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
      key: box.newKey(),
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
    f.text.value = '';
    f.count.value = '1';
    box.add(item);
  });
  window.LBOutbox = { flush: box.flush, read: box.read };
})();
