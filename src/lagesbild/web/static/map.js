// The shared map: every layer the viewer may see, a time and category filter, a legend with
// layer switches, and the whole view in the URL's hash so that it can be shared.
// Works with no background tiles at all (LB.tiles unset).
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
  const map = L.map(el, { zoomSnap: 1, preferCanvas: false });
  if (LB.tiles) {
    L.tileLayer(LB.tiles, { maxZoom: 19, attribution: LB.attribution || '' }).addTo(map);
  }
  L.control.scale({ imperial: false }).addTo(map);
  const groups = {};
  ALL.forEach(k => { groups[k] = L.layerGroup(); });
  LB.data = {};

  function setCount(key, n) {
    const span = document.getElementById('n-' + key);
    if (span) span.textContent = n === null ? '' : '(' + nf.format(n) + ')';
  }
  function period() { return state.from + '..' + state.to; }
  function q(params) {
    const u = new URLSearchParams();
    Object.entries(params).forEach(([k, v]) => { if (v !== null && v !== undefined && v !== '') u.set(k, v); });
    return u.toString();
  }
  function bboxParam() {
    const b = map.getBounds().pad(0.2);
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(v => v.toFixed(5)).join(',');
  }
  function catFor(layer) {
    // a category filters the layer whose taxonomy has it; the other layer then shows nothing
    if (!state.cat) return { ok: true, cat: null };
    if (state.cat === 'drug-related') return { ok: true, cat: state.cat };
    return { ok: (LB.cats[layer] || []).includes(state.cat), cat: state.cat };
  }
  async function getJSON(url) {
    const r = await fetch(url, { credentials: 'same-origin' });
    if (!r.ok) throw new Error(r.status + ' ' + url);
    return r.json();
  }
  const esc = s => String(s == null ? '' : s).replace(/[&<>"']/g, ch => (
    { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]));

  // ---------------------------------------------------------------- layer loaders
  const loaders = {
    async extents() {
      const fc = await getJSON('/map/extents.geojson');
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
    async places() {
      const fc = await getJSON('/api/v1/places?limit=1000');
      fc.features = fc.features.filter(f => f.properties.kind !== 'city');
      return [fc, L.geoJSON(fc, {
        style: f => ({ color: f.properties.kind === 'comparison_area' ? '#555' : '#222',
          weight: f.properties.kind === 'district' ? 1 : 2, dashArray: '6 4', fill: false }),
        onEachFeature: (f, l) => l.bindTooltip(esc(f.properties.name)),
      })];
    },
    crimes() { return points('crimes'); },
    observations() { return points('observations'); },
    async hotspots() {
      const c = catFor('crimes');
      if (!c.ok) return [{ features: [] }, L.layerGroup()];
      const fc = await getJSON('/map/hotspots.geojson?' + q({ from: state.from, to: state.to, category: c.cat, cell: 100 }));
      return [fc, L.geoJSON(fc, {
        style: f => ({ color: HOT[f.properties.class] || '#999', weight: 0, fillOpacity: 0.45 }),
        onEachFeature: (f, l) => l.bindTooltip(`Gi* z = ${nf.format(f.properties.z)}, ${esc(msg('hotspot.' + f.properties.class))}`),
      })];
    },
    async cameras() {
      const fc = await getJSON('/map/cameras.geojson?' + q({ from: state.from, to: state.to }));
      return [fc, L.geoJSON(fc, {
        style: { color: '#6a3d9a', weight: 1, fillOpacity: 0.2 },
        onEachFeature: (f, l) => l.bindTooltip(`${esc(f.properties.operator)} · ${esc(f.properties.range_m)} m`),
      })];
    },
    async guard_areas() {
      const fc = await getJSON('/api/v1/guard_areas?' + q({ period: period(), limit: 1000 }));
      return [fc, L.geoJSON(fc, {
        style: { color: '#1b7837', weight: 2, dashArray: '2 4', fillOpacity: 0.08 },
        onEachFeature: (f, l) => l.bindTooltip(esc(f.properties.name)),
      })];
    },
    async streets() {
      const fc = await getJSON('/api/v1/streets?limit=10000');
      return [fc, L.geoJSON(fc, { style: { color: '#777', weight: 2 },
        onEachFeature: (f, l) => l.bindTooltip(esc(f.properties.name)) })];
    },
    async activation_events() {
      const fc = await getJSON('/api/v1/activation_events?' + q({ period: period(), limit: 1000 }));
      fc.features = fc.features.filter(f => f.geometry);
      return [fc, L.geoJSON(fc, {
        pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 7, color: '#a35f00', fillColor: '#f6b26b', fillOpacity: 0.9, weight: 2 }),
        style: { color: '#a35f00', weight: 2, fillOpacity: 0.1 },
        onEachFeature: (f, l) => l.bindTooltip(`${esc(f.properties.title)} (${esc((f.properties.starts_at || '').slice(0, 10))})`),
      })];
    },
  };

  loaders.priorities = async function () {
    // this week's priority places from the EST meeting, per organisation
    const fc = await getJSON('/map/priorities.geojson?' + q({ day: state.to }));
    return [fc, L.geoJSON(fc, {
      style: { color: '#d4007a', weight: 4, dashArray: '10 6', fill: false },
      onEachFeature: (f, l) => l.bindTooltip(
        `${esc(msg('priority'))}: ${esc(f.properties.place)}<br>${esc(f.properties.organisations.join(', '))}`),
    })];
  };

  async function points(layer) {
    const c = catFor(layer);
    if (!c.ok) return [{ features: [], numberMatched: 0 }, L.layerGroup()];
    const fc = await getJSON('/map/points.geojson?' + q({ layer, from: state.from, to: state.to,
      category: c.cat, bbox: bboxParam(), zoom: map.getZoom() }));
    const cls = layer === 'crimes' ? 'cl-crime' : 'cl-obs';
    const g = L.layerGroup();
    fc.features.forEach(f => {
      const n = f.properties.count;
      const size = Math.round(22 + Math.min(30, Math.sqrt(n) * 3));
      const [lon, lat] = f.geometry.coordinates;
      const cats = Object.entries(f.properties.categories).sort((a, b) => b[1] - a[1])
        .slice(0, 4).map(([k, v]) => `${esc(LB.labels[layer][k] || k)}: ${v}`).join('<br>');
      const m = L.marker([lat, lon], {
        keyboard: false,
        icon: L.divIcon({ className: 'cluster ' + cls, iconSize: [size, size],
          html: `<span data-ids="${(f.properties.ids || []).join(' ')}">${nf.format(n)}</span>` }),
      });
      m.bindTooltip(`${esc(msg('count'))}: ${nf.format(n)}<br>${cats}`);
      g.addLayer(m);
    });
    return [fc, g];
  }

  // ---------------------------------------------------------------- loading
  const TIME_DEPENDENT = ['crimes', 'observations', 'hotspots', 'cameras', 'guard_areas', 'activation_events'];
  const VIEW_DEPENDENT = ['crimes', 'observations'];
  const loaded = {};
  let generation = 0;
  let pending = 0;  // loads under way: the map is "ready" (data-ready=1) when none are

  async function load(keys) {
    const gen = ++generation;
    pending++;
    el.dataset.ready = '0';
    await Promise.all(keys.filter(k => state.layers.includes(k)).map(async k => {
      try {
        const [fc, layer] = await loaders[k]();
        if (gen !== generation && VIEW_DEPENDENT.includes(k)) return;
        groups[k].clearLayers();
        groups[k].addLayer(layer);
        LB.data[k] = fc;
        loaded[k] = true;
        setCount(k, fc.numberMatched !== undefined ? fc.numberMatched : fc.features.length);
      } catch (e) {
        setCount(k, null);
        console.error(e);
        document.getElementById('n-' + k).textContent = msg('load_failed');
      }
    }));
    ALL.forEach(k => {
      if (state.layers.includes(k)) groups[k].addTo(map); else map.removeLayer(groups[k]);
    });
    let drawn = 0;
    state.layers.forEach(k => { if (LB.data[k]) drawn += LB.data[k].features.length; });
    el.dataset.features = String(drawn);
    if (--pending === 0) {
      el.dataset.ready = '1';
      el.dispatchEvent(new CustomEvent('lb:loaded'));
    }
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
      load(state.layers.filter(l => !loaded[l] || TIME_DEPENDENT.includes(l)));
    });
  });
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    state.from = from.value || LB.from; state.to = to.value || LB.to; state.cat = cat.value;
    writeState();
    load(TIME_DEPENDENT);
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
    moveTimer = setTimeout(() => load(VIEW_DEPENDENT), 150);
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
    await load(ALL);
  }
  start();
})();
