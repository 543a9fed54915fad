// The shared map: every layer the viewer may see, a time and category filter, a legend with
// layer switches, and the whole view in the URL's hash so that it can be shared.
// The basemap is OpenStreetMap's unless configured off (LB.tiles null); the layers show either way.
// Every layer drops the answers to requests a newer one superseded (per-layer sequence numbers
// and an aborted fetch), so a slow first answer never overwrites the current filter's.
(function () {
  'use strict';
  const LB = window.LB = JSON.parse(document.getElementById('lb-config').textContent);
  const msg = (k, v) => (LB.msg[k] || k).replace(/\{(\w+)\}/g, (_, n) => (v || {})[n]);
  const nf = new Intl.NumberFormat(LB.lang === 'sv' ? 'sv-SE' : 'en-GB', { maximumFractionDigits: 1 });
  const ALL = ['extents', 'places', 'crimes', 'observations', 'hotspots', 'cameras',
    'guard_areas', 'streets', 'activation_events', 'priorities'];
  const DEFAULT_ON = ['extents', 'places', 'crimes', 'observations', 'cameras', 'guard_areas',
    'priorities'];
  const ROUND_COLOURS = ['#1f5fa8', '#c0392b', '#1e7b34', '#a35f00', '#6a3d9a'];
  const HOT = { hot_99: '#b10026', hot_95: '#e31a1c', hot_90: '#fd8d3c',
    cold_99: '#08519c', cold_95: '#3182bd', cold_90: '#6baed6' };

  // ---------------------------------------------------------------- state in the hash
  function readState() {
    const h = new URLSearchParams(location.hash.replace(/^#/, ''));
    const c = (h.get('c') || '').split(',').map(Number);
    return {
      z: Number(h.get('z')) || null,
      c: c.length === 2 && c.every(isFinite) ? c : null,
      from: h.get('from') || LB.from,
      to: h.get('to') || LB.to,
      cat: h.get('cat') || '',
      layers: h.has('layers') ? h.get('layers').split(',').filter(l => ALL.includes(l)) : DEFAULT_ON.slice(),
    };
  }
  let state = readState();
  function writeState() {
    const ctr = map.getCenter();
    const h = new URLSearchParams();
    h.set('z', String(map.getZoom()));
    h.set('c', ctr.lat.toFixed(5) + ',' + ctr.lng.toFixed(5));
    h.set('from', state.from); h.set('to', state.to);
    if (state.cat) h.set('cat', state.cat);
    h.set('layers', state.layers.join(','));
    history.replaceState(null, '', '#' + h.toString());
    document.querySelectorAll('a.lang-link').forEach(a => {
      a.href = a.href.split('#')[0] + location.hash;
    });
  }

  // ---------------------------------------------------------------- the map
  const el = document.getElementById('map');
  const MAX_ZOOM = 19;
  const map = L.map(el, { zoomSnap: 1, preferCanvas: false, maxZoom: MAX_ZOOM });
  if (LB.tiles) {
    L.tileLayer(LB.tiles, { maxZoom: MAX_ZOOM, attribution: LB.attribution || '' }).addTo(map);
  }
  L.control.scale({ imperial: false }).addTo(map);
  const groups = {};
  ALL.forEach(k => { groups[k] = L.layerGroup(); });
  LB.data = {};

  function setCount(key, n, total) {
    // points: how many are in view beside the filter's total; other layers: how many there are
    const span = document.getElementById('n-' + key);
    if (!span) return;
    if (n === null) span.textContent = '';
    else if (total !== undefined) span.textContent = '(' + msg('in_view', { view: nf.format(n), total: nf.format(total) }) + ')';
    else span.textContent = '(' + nf.format(n) + ')';
  }
  function period() { return state.from + '..' + state.to; }
  function q(params) {
    const u = new URLSearchParams();
    Object.entries(params).forEach(([k, v]) => { if (v !== null && v !== undefined && v !== '') u.set(k, v); });
    return u.toString();
  }
  function bboxParam() {
    const b = map.getBounds();  // the view itself: the counts are of what is in view
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(v => v.toFixed(5)).join(',');
  }
  function catFor(layer) {
    // a category filters the layer whose taxonomy has it; the other layer then shows nothing
    if (!state.cat) return { ok: true, cat: null };
    if (state.cat === 'drug-related') return { ok: true, cat: state.cat };
    return { ok: (LB.cats[layer] || []).includes(state.cat), cat: state.cat };
  }
  async function getJSON(url, signal) {
    const r = await fetch(url, { credentials: 'same-origin', signal });
    if (!r.ok) throw new Error(r.status + ' ' + url);
    return r.json();
  }
  const esc = s => String(s == null ? '' : s).replace(/[&<>"']/g, ch => (
    { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]));

  // ---------------------------------------------------------------- layer loaders
  const loaders = {
    async extents(signal) {
      const fc = await getJSON('/map/extents.geojson', signal);
      const rounds = [...new Set(fc.features.map(f => f.properties.round))].sort();
      const colour = r => ROUND_COLOURS[rounds.indexOf(r) % ROUND_COLOURS.length];
      document.getElementById('round-legend').innerHTML = rounds.map(r =>
        `<span class="round"><span class="swatch" style="border-color:${colour(r)}" aria-hidden="true"></span>${esc(msg('round'))} ${r}</span>`).join(' ');
      return [fc, L.geoJSON(fc, {
        style: f => ({ color: colour(f.properties.round), weight: 3, fillOpacity: 0.12 }),
        onEachFeature: (f, l) => l.bindTooltip(
          `${esc(f.properties.place)} ${f.properties.round}: ${nf.format(f.properties.area_ha)} ha (${esc(LB.msg['status.' + f.properties.status] || f.properties.status)})`),
      })];
    },
    async places(signal) {
      const fc = await getJSON('/api/v1/places?limit=1000', signal);
      fc.features = fc.features.filter(f => f.properties.kind !== 'city');
      return [fc, L.geoJSON(fc, {
        style: f => ({ color: f.properties.kind === 'comparison_area' ? '#555' : '#222',
          weight: f.properties.kind === 'district' ? 1 : 2, dashArray: '6 4', fill: false }),
        onEachFeature: (f, l) => {
          l.bindTooltip(esc(f.properties.name));
          // a selected place offers its page and its analysis (issue #21's page)
          l.bindPopup(`<strong>${esc(f.properties.name)}</strong><br><a href="/places/${encodeURIComponent(f.id)}">${esc(msg('open_place'))}</a>` +
            ` · <a class="analyse-place" href="/places/${encodeURIComponent(f.id)}/analysis">${esc(msg('analyse_place'))}</a>`);
        },
      })];
    },
    crimes(signal) { return points('crimes', signal); },
    observations(signal) { return points('observations', signal); },
    async hotspots(signal) {
      const c = catFor('crimes');
      if (!c.ok) return [{ features: [] }, L.layerGroup()];
      const fc = await getJSON('/map/hotspots.geojson?' + q({ from: state.from, to: state.to, category: c.cat, cell: 100 }), signal);
      return [fc, L.geoJSON(fc, {
        style: f => ({ color: HOT[f.properties.class] || '#999', weight: 0, fillOpacity: 0.45 }),
        onEachFeature: (f, l) => l.bindTooltip(`Gi* z = ${nf.format(f.properties.z)}, ${esc(msg('hotspot.' + f.properties.class))}`),
      })];
    },
    async cameras(signal) {
      const fc = await getJSON('/map/cameras.geojson?' + q({ from: state.from, to: state.to }), signal);
      return [fc, L.geoJSON(fc, {
        style: { color: '#6a3d9a', weight: 1, fillOpacity: 0.2 },
        onEachFeature: (f, l) => l.bindTooltip(`${esc(f.properties.operator)} · ${esc(f.properties.range_m)} m`),
      })];
    },
    async guard_areas(signal) {
      const fc = await getJSON('/api/v1/guard_areas?' + q({ period: period(), limit: 1000 }), signal);
      return [fc, L.geoJSON(fc, {
        style: { color: '#1b7837', weight: 2, dashArray: '2 4', fillOpacity: 0.08 },
        onEachFeature: (f, l) => l.bindTooltip(esc(f.properties.name)),
      })];
    },
    async streets(signal) {
      const fc = await getJSON('/api/v1/streets?limit=10000', signal);
      return [fc, L.geoJSON(fc, { style: { color: '#777', weight: 2 },
        onEachFeature: (f, l) => l.bindTooltip(esc(f.properties.name)) })];
    },
    async activation_events(signal) {
      const fc = await getJSON('/api/v1/activation_events?' + q({ period: period(), limit: 1000 }), signal);
      fc.features = fc.features.filter(f => f.geometry);
      return [fc, L.geoJSON(fc, {
        pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 7, color: '#a35f00', fillColor: '#f6b26b', fillOpacity: 0.9, weight: 2 }),
        style: { color: '#a35f00', weight: 2, fillOpacity: 0.1 },
        onEachFeature: (f, l) => l.bindTooltip(`${esc(f.properties.title)} (${esc((f.properties.starts_at || '').slice(0, 10))})`),
      })];
    },
  };

  loaders.priorities = async function (signal) {
    // this week's priority places from the EST meeting, per organisation
    const fc = await getJSON('/map/priorities.geojson?' + q({ day: state.to }), signal);
    return [fc, L.geoJSON(fc, {
      style: { color: '#d4007a', weight: 4, dashArray: '10 6', fill: false },
      onEachFeature: (f, l) => l.bindTooltip(
        `${esc(msg('priority'))}: ${esc(f.properties.label || f.properties.place)}<br>${esc(f.properties.organisations.join(', '))}`),
    })];
  };

  const IDS_LIST_UP_TO = 10;  // a cluster this small (or any with ids at the last zoom) lists its incidents
  async function points(layer, signal) {
    const c = catFor(layer);
    if (!c.ok) return [{ features: [], numberMatched: 0, numberTotal: 0 }, L.layerGroup()];
    const fc = await getJSON('/map/points.geojson?' + q({ layer, from: state.from, to: state.to,
      category: c.cat, bbox: bboxParam(), zoom: map.getZoom() }), signal);
    const cls = layer === 'crimes' ? 'cl-crime' : 'cl-obs';
    const g = L.layerGroup();
    fc.features.forEach(f => {
      const n = f.properties.count;
      const size = Math.round(22 + Math.min(30, Math.sqrt(n) * 3));
      const [lon, lat] = f.geometry.coordinates;
      const cats = Object.entries(f.properties.categories).sort((a, b) => b[1] - a[1])
        .slice(0, 4).map(([k, v]) => `${esc(LB.labels[layer][k] || k)}: ${v}`).join('<br>');
      const ids = f.properties.ids || [];
      // crimes sit left of their point and observations right of theirs, so that clusters of
      // the two layers in the same cell stand side by side and each can be clicked
      const dx = layer === 'crimes' ? Math.round(size * 0.9) : Math.round(size * 0.1);
      const m = L.marker([lat, lon], {
        keyboard: true,
        zIndexOffset: -size * 1000,  // smaller clusters above larger ones: each keeps a part to click
        title: `${msg('layer.' + layer)}: ${nf.format(n)}`,
        icon: L.divIcon({ className: 'cluster ' + cls, iconSize: [size, size], iconAnchor: [dx, size / 2],
          html: `<span data-ids="${ids.join(' ')}" data-layer="${layer}">${nf.format(n)}</span>` }),
      });
      m.bindTooltip(`${esc(msg('count'))}: ${nf.format(n)}<br>${cats}`);
      m.on('click', () => {
        const last = map.getZoom() >= MAX_ZOOM;
        if (ids.length && (n <= IDS_LIST_UP_TO || last || n === ids.length && map.getZoom() >= 17)) {
          showIncidents(layer, ids);
        } else if (!last) {
          map.setView([lat, lon], Math.min(MAX_ZOOM, map.getZoom() + 2));
        }
      });
      g.addLayer(m);
    });
    return [fc, g];
  }

  // ---------------------------------------------------------------- a cluster's incidents
  const incidents = document.getElementById('incidents');
  let incidentSeq = 0;
  async function showIncidents(layer, ids) {
    const my = ++incidentSeq;
    const body = incidents.querySelector('tbody');
    incidents.hidden = false;
    incidents.dataset.layer = layer;
    incidents.dataset.ready = '0';
    body.innerHTML = `<tr><td colspan="5">${esc(msg('loading'))}</td></tr>`;
    try {
      const out = await getJSON('/map/incidents.json?' + q({ layer, ids: ids.join(',') }));
      if (my !== incidentSeq) return;
      body.innerHTML = out.incidents.map(rowHTML).join('');
      incidents.dataset.count = String(out.incidents.length);
      incidents.dataset.ready = '1';
      incidents.scrollIntoView({ block: 'nearest' });
    } catch (e) {
      if (my === incidentSeq) body.innerHTML = `<tr><td colspan="5">${esc(msg('load_failed'))}</td></tr>`;
    }
  }
  document.getElementById('incidents-close').addEventListener('click', () => { incidents.hidden = true; });
  function rowHTML(r) {
    return `<tr data-id="${r.id}"><td>${esc(r.occurred_at.replace('T', ' ').slice(0, 16))}</td><td>${esc(r.category_label)}</td>` +
      `<td>${esc(r.source)}</td><td>${esc(r.owner)}</td><td><a href="${esc(r.href)}">#${r.id}</a></td></tr>`;
  }

  // ---------------------------------------------------------------- loading
  const TIME_DEPENDENT = ['crimes', 'observations', 'hotspots', 'cameras', 'guard_areas', 'activation_events', 'priorities'];
  const VIEW_DEPENDENT = ['crimes', 'observations'];
  const seq = {};  // per layer: the number of its latest request; older answers are dropped
  const inflight = {};  // per layer: the AbortController of its latest request
  let pending = 0;  // layer loads under way: the map is "ready" (data-ready=1) when none are

  function settle() {
    ALL.forEach(k => {
      if (state.layers.includes(k)) groups[k].addTo(map); else map.removeLayer(groups[k]);
    });
    let drawn = 0;
    state.layers.forEach(k => { if (LB.data[k]) drawn += LB.data[k].features.length; });
    el.dataset.features = String(drawn);
    if (pending === 0) {
      el.dataset.ready = '1';
      el.dispatchEvent(new CustomEvent('lb:loaded'));
    }
  }

  async function loadLayer(k) {
    const my = seq[k] = (seq[k] || 0) + 1;
    if (inflight[k]) inflight[k].abort();  // its answer would be superseded anyway
    const ctl = inflight[k] = new AbortController();
    pending++;
    el.dataset.ready = '0';
    try {
      const [fc, layer] = await loaders[k](ctl.signal);
      if (my !== seq[k]) return;  // a newer request of this layer was made meanwhile
      groups[k].clearLayers();
      groups[k].addLayer(layer);
      LB.data[k] = fc;

      if (VIEW_DEPENDENT.includes(k)) setCount(k, fc.numberMatched, fc.numberTotal);
      else setCount(k, fc.numberMatched !== undefined ? fc.numberMatched : fc.features.length);
    } catch (e) {
      if (my !== seq[k]) return;  // aborted because superseded: not a failure
      setCount(k, null);
      console.error(e);
      document.getElementById('n-' + k).textContent = msg('load_failed');
    } finally {
      pending--;
      if (my === seq[k]) delete inflight[k];
      settle();
    }
  }

  async function load(keys) {
    el.dataset.ready = '0';
    const todo = keys.filter(k => state.layers.includes(k));
    pending++;  // held until every layer of this load has started
    const runs = todo.map(loadLayer);
    pending--;
    if (!runs.length) settle();
    await Promise.all(runs);
  }

  // ---------------------------------------------------------------- time: histogram and hour x weekday
  // Drawn at the SVG's own pixel size (viewBox = client size), so text stays at its font size
  // on a phone instead of shrinking with the chart.
  const SVGNS = 'http://www.w3.org/2000/svg';
  const hist = document.getElementById('time-histogram');
  const hw = document.getElementById('hour-weekday');
  const brushReset = document.getElementById('brush-reset');
  const FONT = 12;
  let timeSeq = 0;
  let timeData = null;
  const periodsBefore = [];  // the periods a brush narrowed, for "back"
  function svgEl(tag, attrs, text) {
    const e = document.createElementNS(SVGNS, tag);
    Object.entries(attrs).forEach(([k, v]) => e.setAttribute(k, v));
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function timeLayers() { return VIEW_DEPENDENT.filter(k => state.layers.includes(k) && catFor(k).ok); }
  async function loadTime() {
    const my = ++timeSeq;
    hist.dataset.ready = '0';
    const layers = timeLayers();
    const base = { from: state.from, to: state.to, bbox: bboxParam() };
    try {
      const answers = await Promise.all(layers.map(layer =>
        getJSON('/map/time.json?' + q({ ...base, layer, category: catFor(layer).cat }))));
      if (my !== timeSeq) return;  // a newer filter or view was asked for meanwhile
      timeData = { layers, answers };
      drawTime();
    } catch (e) {
      if (my === timeSeq) console.error(e);
    }
  }
  function drawTime() {
    if (!timeData) return;
    const { layers, answers } = timeData;
    drawHistogram(layers, answers);
    drawHourWeekday(answers);
    hist.dataset.ready = '1';
  }
  const COLOURS = { crimes: '#b2182b', observations: '#2166ac' };
  function drawHistogram(layers, answers) {
    const W = Math.max(280, hist.clientWidth || 600), H = 206, L0 = 40, R0 = 8, T0 = 28, B0 = 34;
    hist.setAttribute('viewBox', `0 0 ${W} ${H}`);
    hist.replaceChildren();
    const bins = answers.length ? answers[0].bins : [];
    const unit = answers.length ? answers[0].unit : 'week';
    document.getElementById('hist-unit').textContent = '(' + msg('unit.' + unit) + ')';
    const totals = bins.map((_, i) => answers.reduce((sum, a) => sum + a.bins[i].count, 0));
    const top = Math.max(1, ...totals);
    const w = (W - L0 - R0) / Math.max(1, bins.length), h = H - T0 - B0;
    hist.dataset.bins = String(bins.length);
    hist.dataset.total = String(totals.reduce((a, b) => a + b, 0));
    hist.dataset.unit = unit;
    hist.appendChild(svgEl('rect', { x: 0, y: 0, width: W, height: H, fill: '#fff' }));
    [0, 0.5, 1].forEach(f => {
      const y = T0 + h * (1 - f);
      hist.appendChild(svgEl('line', { x1: L0, x2: W - R0, y1: y, y2: y, stroke: '#ddd' }));
      hist.appendChild(svgEl('text', { x: L0 - 4, y: y + 4, 'font-size': FONT, 'text-anchor': 'end' }, nf.format(Math.round(top * f))));
    });
    bins.forEach((b, i) => {
      let y = T0 + h;
      layers.forEach((layer, j) => {
        const c = answers[j].bins[i].count;
        const bh = h * c / top;
        y -= bh;
        const r = svgEl('rect', { x: L0 + i * w + 0.5, y, width: Math.max(1, w - 1), height: bh, fill: COLOURS[layer], class: 'bin' });
        r.appendChild(svgEl('title', {}, `${b.start}: ${nf.format(c)} ${msg('layer.' + layer)}`));
        hist.appendChild(r);
      });
    });
    // a label every so many bins, so that they never overlap
    const every = Math.max(1, Math.ceil(bins.length / Math.floor((W - L0) / 70)));
    bins.forEach((b, i) => {
      if (i % every) return;
      const label = unit === 'month' ? b.start.slice(0, 7) : b.start.slice(5);
      hist.appendChild(svgEl('text', { x: L0 + i * w, y: H - B0 + 16, 'font-size': FONT }, label));
    });
    hist.appendChild(svgEl('text', { x: L0, y: 14, 'font-size': FONT, fill: '#4a4a4a' }, msg('brush_help')));
    hist._geom = { L0, w, n: bins.length, bins, unit, T0, h };
  }
  function drawHourWeekday(answers) {
    const W = Math.max(280, hw.clientWidth || 600), L0 = 34, T0 = 18, B0 = 4;
    const cw = (W - L0 - 4) / 24, ch = Math.max(14, Math.min(26, cw * 1.2)), H = T0 + 7 * ch + B0 + 18;
    hw.setAttribute('viewBox', `0 0 ${W} ${H}`);
    hw.replaceChildren();
    const grid = [...Array(7)].map((_, d) => [...Array(24)].map((_, hh) =>
      answers.reduce((sum, a) => sum + a.hour_weekday[d][hh], 0)));
    const top = Math.max(1, ...grid.flat());
    hw.dataset.total = String(grid.flat().reduce((a, b) => a + b, 0));
    hw.appendChild(svgEl('rect', { x: 0, y: 0, width: W, height: H, fill: '#fff' }));
    const days = msg('weekdays').split(',');
    grid.forEach((row, d) => {
      hw.appendChild(svgEl('text', { x: L0 - 4, y: T0 + d * ch + ch / 2 + 4, 'font-size': FONT, 'text-anchor': 'end' }, days[d] || d));
      row.forEach((c, hh) => {
        const f = c / top;
        const r = svgEl('rect', { x: L0 + hh * cw, y: T0 + d * ch, width: cw - 1, height: ch - 1, class: 'cell',
          fill: c ? `rgba(178, 24, 43, ${(0.12 + 0.88 * f).toFixed(3)})` : '#f2f2f2' });
        r.appendChild(svgEl('title', {}, `${days[d]} ${String(hh).padStart(2, '0')}–${String(hh + 1).padStart(2, '0')}: ${nf.format(c)}`));
        hw.appendChild(r);
      });
    });
    [0, 6, 12, 18].forEach(hh => hw.appendChild(svgEl('text', { x: L0 + hh * cw, y: 13, 'font-size': FONT }, String(hh).padStart(2, '0'))));
    hw.appendChild(svgEl('text', { x: L0, y: H - 4, 'font-size': FONT, fill: '#4a4a4a' }, msg('hw_scale', { max: nf.format(top) })));
  }
  // the brush: drag across the histogram to narrow the period to those bins (a click: one bin)
  function binAt(ev) {
    const g = hist._geom;
    if (!g || !g.n) return null;
    const box = hist.getBoundingClientRect();
    const x = (ev.clientX - box.left) * (hist.viewBox.baseVal.width / box.width);
    return Math.max(0, Math.min(g.n - 1, Math.floor((x - g.L0) / g.w)));
  }
  function binEnd(g, i) {  // the last day of bin i (or the period's end)
    const next = i + 1 < g.n ? new Date(g.bins[i + 1].start + 'T00:00:00Z') : null;
    if (!next) return state.to;
    next.setUTCDate(next.getUTCDate() - 1);
    return next.toISOString().slice(0, 10);
  }
  let brushStart = null, brushRect = null;
  hist.addEventListener('pointerdown', ev => {
    brushStart = binAt(ev);
    if (brushStart === null) return;
    hist.setPointerCapture(ev.pointerId);
    const g = hist._geom;
    brushRect = svgEl('rect', { x: g.L0 + brushStart * g.w, y: g.T0, width: g.w, height: g.h, class: 'brush', fill: 'rgba(11, 79, 138, 0.25)', stroke: '#0b4f8a' });
    hist.appendChild(brushRect);
  });
  hist.addEventListener('pointermove', ev => {
    if (brushStart === null || !brushRect) return;
    const g = hist._geom, i = binAt(ev);
    const a = Math.min(brushStart, i), b = Math.max(brushStart, i);
    brushRect.setAttribute('x', g.L0 + a * g.w);
    brushRect.setAttribute('width', (b - a + 1) * g.w);
  });
  hist.addEventListener('pointerup', ev => {
    if (brushStart === null) return;
    const g = hist._geom, i = binAt(ev);
    const a = Math.min(brushStart, i), b = Math.max(brushStart, i);
    brushStart = null;
    const start = g.bins[a].start < state.from ? state.from : g.bins[a].start;
    const end = binEnd(g, b) > state.to ? state.to : binEnd(g, b);
    periodsBefore.push([state.from, state.to]);
    setPeriod(start, end);
  });
  brushReset.addEventListener('click', () => {
    const prev = periodsBefore.pop();
    if (prev) setPeriod(prev[0], prev[1]);
  });
  function setPeriod(a, b) {
    state.from = a; state.to = b;
    from.value = a; to.value = b;
    brushReset.hidden = periodsBefore.length === 0;
    writeState();
    refresh();
  }
  let resizeTimer = null;
  window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawTime, 150); });

  // ---------------------------------------------------------------- the table of the filter
  const table = document.getElementById('incident-table');
  const tLayer = document.getElementById('t-layer');
  const tableState = { sort: '-occurred_at', offset: 0, limit: 25 };
  let tableSeq = 0;
  function tableQuery(extra) {
    const layer = tLayer.value;
    const c = catFor(layer);
    return q({ layer, from: state.from, to: state.to, category: c.cat, sort: tableState.sort, ...extra });
  }
  async function loadTable() {
    const my = ++tableSeq;
    table.dataset.ready = '0';
    const layer = tLayer.value;
    document.getElementById('download-csv').href = '/map/table.csv?' + tableQuery();
    document.getElementById('download-geojson').href = '/map/table.geojson?' + tableQuery();
    const body = table.querySelector('tbody');
    if (!catFor(layer).ok) {
      body.innerHTML = '';
      table.dataset.total = '0';
      document.getElementById('t-range').textContent = '';
      table.dataset.ready = '1';
      return;
    }
    try {
      const out = await getJSON('/map/table.json?' + tableQuery({ offset: tableState.offset, limit: tableState.limit }));
      if (my !== tableSeq) return;
      body.innerHTML = out.rows.map(rowHTML).join('') || `<tr><td colspan="5">${esc(msg('none'))}</td></tr>`;
      table.dataset.total = String(out.numberMatched);
      const cap = document.getElementById('download-cap');
      const max = Number(cap.dataset.max);
      cap.classList.toggle('warn', out.numberMatched > max);
      cap.textContent = out.numberMatched > max
        ? msg('download_truncated', { n: nf.format(out.numberMatched), max: nf.format(max) })
        : msg('download_cap', { max: nf.format(max) });
      const first = out.rows.length ? tableState.offset + 1 : 0;
      document.getElementById('t-range').textContent = msg('range', { a: nf.format(first), b: nf.format(tableState.offset + out.rows.length), n: nf.format(out.numberMatched) });
      document.getElementById('t-prev').disabled = tableState.offset === 0;
      document.getElementById('t-next').disabled = tableState.offset + tableState.limit >= out.numberMatched;
      table.querySelectorAll('th[aria-sort]').forEach(th => {
        const key = th.querySelector('button').dataset.sort;
        th.setAttribute('aria-sort', tableState.sort.replace('-', '') === key ? (tableState.sort.startsWith('-') ? 'descending' : 'ascending') : 'none');
      });
      table.dataset.ready = '1';
    } catch (e) {
      if (my === tableSeq) { console.error(e); body.innerHTML = `<tr><td colspan="5">${esc(msg('load_failed'))}</td></tr>`; }
    }
  }
  table.querySelectorAll('button.sort').forEach(btn => btn.addEventListener('click', () => {
    const key = btn.dataset.sort;
    tableState.sort = tableState.sort === '-' + key ? key : '-' + key;
    tableState.offset = 0;
    loadTable();
  }));
  document.getElementById('t-prev').addEventListener('click', () => { tableState.offset = Math.max(0, tableState.offset - tableState.limit); loadTable(); });
  document.getElementById('t-next').addEventListener('click', () => { tableState.offset += tableState.limit; loadTable(); });
  tLayer.addEventListener('change', () => { tableState.offset = 0; loadTable(); });

  function refresh() {  // after a change of the filter
    tableState.offset = 0;
    if (!catFor(tLayer.value).ok) tLayer.value = tLayer.value === 'crimes' ? 'observations' : 'crimes';
    load(TIME_DEPENDENT);
    loadTime();
    loadTable();
  }

  // ---------------------------------------------------------------- controls
  const form = document.getElementById('filters');
  const from = document.getElementById('f-from');
  const to = document.getElementById('f-to');
  const cat = document.getElementById('f-cat');
  from.value = state.from; to.value = state.to; cat.value = state.cat;
  ALL.forEach(k => {
    const box = document.getElementById('l-' + k);
    box.checked = state.layers.includes(k);
    box.addEventListener('change', () => {
      state.layers = ALL.filter(l => document.getElementById('l-' + l).checked);
      writeState();
      if (box.checked) load([k]); else settle();  // only the layer switched on is fetched
      if (VIEW_DEPENDENT.includes(k)) loadTime();
    });
  });
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    state.from = from.value || LB.from; state.to = to.value || LB.to; state.cat = cat.value;
    writeState();
    refresh();
  });
  document.getElementById('share').addEventListener('click', async () => {
    writeState();
    const out = document.getElementById('share-url');
    out.value = location.href;
    out.select();
    try { await navigator.clipboard.writeText(location.href); } catch (e) { /* selected for copying */ }
    document.getElementById('share-status').textContent = msg('copied');
  });
  let moveTimer = null;
  function onMove() {
    writeState();
    el.dataset.ready = '0';  // a reload of the points follows
    clearTimeout(moveTimer);
    moveTimer = setTimeout(() => { load(VIEW_DEPENDENT); loadTime(); }, 150);
  }

  // ---------------------------------------------------------------- start
  async function start() {
    if (state.c && state.z) {
      map.setView(state.c, state.z);
    } else {
      map.setView([59.3326, 18.0649], 14);
      try {  // fit the extents (or places) the viewer may see
        const fc = await getJSON('/map/extents.geojson');
        const b = L.geoJSON(fc).getBounds();
        if (b.isValid()) map.fitBounds(b.pad(0.3));
      } catch (e) { /* keep the default view */ }
    }
    writeState();
    map.on('moveend', onMove);
    loadTime();
    loadTable();
    await load(ALL);
  }
  start();
})();
