// The meetings' maps (briefing, week, live): GeoJSON features drawn by their `kind` -
// the place's outline, named streets, hot spots labelled by the nearest street, priorities
// and live events. Without background tiles the named streets give the bearings.
(function () {
  'use strict';
  const cfgEl = document.getElementById('lb-config');
  const cfg = cfgEl ? JSON.parse(cfgEl.textContent) : {};
  const msg = k => (cfg.msg && cfg.msg[k]) || k;
  // Leaflet shows tooltip text as HTML: names and notes come from users, so they are escaped
  const esc = s => String(s == null ? '' : s).replace(/[&<>"']/g, ch => (
    { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]));
  const nf = new Intl.NumberFormat(cfg.lang === 'en' ? 'en-GB' : 'sv-SE', { maximumFractionDigits: 1 });

  function style(f) {
    switch (f.properties.kind) {
      case 'place': return { color: '#222', weight: 2, dashArray: '6 4', fillOpacity: 0.03 };
      case 'area': return { color: '#1f5fa8', weight: 2, fillOpacity: 0.06 };
      case 'street': return { color: '#888', weight: 3, opacity: 0.8 };
      case 'priority': return { color: '#d4007a', weight: 3, fillColor: '#d4007a', fillOpacity: 0.2 };
      default: return { color: '#08519c', weight: 2 };
    }
  }

  function point(f, ll) {
    const p = f.properties;
    if (p.kind === 'hotspot') {
      return L.circleMarker(ll, { radius: 8 + Math.min(10, p.z || 0), color: '#a50f15', fillColor: '#ef3b2c', fillOpacity: 0.8, weight: 2 });
    }
    const colour = p.layer === 'crimes' ? '#a50f15' : p.layer === 'decisions' ? '#1a7f37' : '#08519c';
    return L.circleMarker(ll, { radius: 8, color: colour, fillColor: colour, fillOpacity: 0.7, weight: 2 });
  }

  let hotIndex = 0; // neighbouring hot cells: labels alternate sides so they do not cover each other
  function tip(f, l) {
    const p = f.properties;
    if (p.kind === 'street') l.bindTooltip(esc(p.name), { sticky: true });
    else if (p.kind === 'place' || p.kind === 'area') l.bindTooltip(esc(p.name), { sticky: true });
    else if (p.kind === 'hotspot') {
      l.bindTooltip(`${esc(p.street || msg('meet_no_street'))}<br>n ${nf.format(p.count)}, z ${nf.format(p.z)}`,
        { permanent: true, direction: (hotIndex++ % 2) ? 'left' : 'right', className: 'hot-label' });
    } else if (p.kind === 'priority') {
      l.bindTooltip(`${esc(p.place)}: ${esc(p.organisation)}${p.note ? '<br>' + esc(p.note) : ''}`);
    } else if (p.kind === 'event') l.bindTooltip(`${esc(p.time || '')} ${esc(p.label || '')}`);
  }

  function create(el) {
    const map = L.map(el, { scrollWheelZoom: false });
    if (cfg.tiles) L.tileLayer(cfg.tiles, { maxZoom: 19, attribution: cfg.attribution || '' }).addTo(map);
    const layer = L.geoJSON(null, { style, pointToLayer: point, onEachFeature: tip }).addTo(map);
    let fitted = false;
    const api = {
      map, layer,
      set(fc) {
        layer.clearLayers();
        layer.addData(fc);
        el.dataset.features = String(fc.features.length);
        api.fit();
      },
      add(f) {
        layer.addData(f);
        el.dataset.features = String(Number(el.dataset.features || 0) + 1);
      },
      fit() {
        // the place (or district) fills the map; streets around it only give the bearings
        let b = L.latLngBounds([]);
        layer.eachLayer(l => { if (l.feature && l.feature.properties.kind === 'place') b.extend(l.getBounds()); });
        if (!b.isValid()) b = layer.getBounds();
        if (b.isValid() && !fitted) { map.fitBounds(b.pad(0.05)); fitted = true; }
        else if (!fitted) map.setView([59.334, 18.063], 15);
      },
    };
    el.lbmap = api;
    if (el.dataset.src) {
      fetch(el.dataset.src, { credentials: 'same-origin' }).then(r => r.json()).then(fc => {
        api.set(fc);
        el.dataset.ready = '1';
      });
    } else el.dataset.ready = '1';
    return api;
  }

  window.LBMeetMap = { create, esc };
  document.querySelectorAll('.meeting-map[data-src]:not([data-manual])').forEach(el => { el.lbmap = create(el); });
})();
