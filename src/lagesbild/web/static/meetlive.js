// The live briefing: an EventSource on /briefings/{id}/live/events adds each arrival to the
// list (newest first) and the map; the browser reconnects by itself after a dropped connection
// (resuming from the last event id), and the page shows when it last heard from the server.
(function () {
  'use strict';
  const root = document.getElementById('live');
  const cfg = JSON.parse(document.getElementById('lb-config').textContent);
  const msg = k => (cfg.msg && cfg.msg[k]) || k;
  const list = document.getElementById('live-events');
  const state = document.getElementById('live-state');
  const heard = document.getElementById('live-heard');
  const count = document.getElementById('live-count');
  const empty = document.getElementById('live-empty');
  const mapEl = document.getElementById('live-map');
  const map = mapEl.lbmap || window.LBMeetMap.create(mapEl);
  const clock = new Intl.DateTimeFormat(cfg.lang === 'en' ? 'en-GB' : 'sv-SE', { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: cfg.tz || undefined });

  function setState(key) { state.dataset.state = key; state.textContent = msg('meet_live_' + key); }
  function heardNow() { heard.textContent = clock.format(new Date()); heard.dateTime = new Date().toISOString(); }

  function add(e) {
    if (list.querySelector(`[data-id="${CSS.escape(e.id)}"]`)) return; // sent again after a reconnect
    const li = document.createElement('li');
    li.dataset.id = e.id;
    li.dataset.layer = e.layer;
    li.className = 'live-event live-' + e.layer;
    const time = document.createElement('span'); time.className = 'live-time'; time.textContent = e.time;
    const label = document.createElement('strong'); label.textContent = ' ' + e.label;
    li.append(time, label);
    const more = [e.organisation, e.text].filter(Boolean).join(': ');
    if (more) { const s = document.createElement('span'); s.textContent = ' – ' + more; li.append(s); }
    list.prepend(li);
    count.textContent = String(list.children.length);
    empty.hidden = true;
    if (e.feature) map.add(e.feature);
  }

  const url = `/briefings/${root.dataset.briefing}/live/events?since=${encodeURIComponent(root.dataset.since)}`;
  const source = new EventSource(url);
  source.addEventListener('open', () => { setState('connected'); heardNow(); });
  source.addEventListener('ping', () => { setState('connected'); heardNow(); });
  source.addEventListener('item', ev => { setState('connected'); heardNow(); add(JSON.parse(ev.data)); });
  source.addEventListener('error', () => {
    // EventSource retries by itself (the server's retry: interval); closed means it gave up
    setState(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  });
})();
