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
      // the cell's rank in the list beside the map (1 = the strongest), by layer's colour; a
      // crime and an observation hot spot in the same cell sit side by side, both readable
      const crimes = p.layer === 'crimes';
      return L.marker(ll, {
        keyboard: false,
        icon: L.divIcon({
          className: 'hot-rank ' + (crimes ? 'hot-crimes' : 'hot-observations'),
          html: String(Number(p.rank) || ''), iconSize: [24, 24], iconAnchor: crimes ? [18, 12] : [6, 12],
        }),
      });
    }
    const colour = p.layer === 'crimes' ? '#a50f15' : p.layer === 'decisions' ? '#1a7f37' : '#08519c';
    return L.circleMarker(ll, { radius: 8, color: colour, fillColor: colour, fillOpacity: 0.7, weight: 2 });
  }

  function tip(f, l) {
    const p = f.properties;
    if (p.kind === 'street') l.bindTooltip(esc(p.name), { sticky: true });
    else if (p.kind === 'place' || p.kind === 'area') l.bindTooltip(esc(p.name), { sticky: true });
    else if (p.kind === 'hotspot') {
      // details on hover or tap: permanent labels of neighbouring cells covered each other
      l.bindTooltip(`${esc(p.street || msg('meet_no_street'))}<br>n ${nf.format(p.count)}, z ${nf.format(p.z)}`,
        { direction: 'top', className: 'hot-label' });
    } else if (p.kind === 'priority') {
      l.bindTooltip(`${esc(p.place)}: ${esc(p.organisation)}${p.note ? '<br>' + esc(p.note) : ''}`);
    } else if (p.kind === 'event') l.bindTooltip(`${esc(p.time || '')} ${esc(p.label || '')}`);
  }

  // Hot cells of one layer closer on screen than a marker's width share one marker ("1, 2"):
  // Leaflet does not move markers apart, and two ranks on top of each other read as neither.
  function declutter(map, layer) {
    const hot = [];
    layer.eachLayer(l => { if (l.feature && l.feature.properties.kind === 'hotspot') hot.push(l); });
    hot.sort((a, b) => a.feature.properties.rank - b.feature.properties.rank);
    const shown = [];
    hot.forEach(l => {
      const p = l.feature.properties;
      const at = map.latLngToLayerPoint(l.getLatLng());
      const near = shown.find(s => s.layer === p.layer && s.at.distanceTo(at) < 22);
      if (near) near.ranks.push(p.rank);
      else shown.push({ marker: l, layer: p.layer, at, ranks: [p.rank] });
      const el = l.getElement();
      if (el) el.style.display = near ? 'none' : '';
    });
    shown.forEach(s => {
      const el = s.marker.getElement();
      if (!el) return;
      const many = s.ranks.length > 1;
      el.textContent = s.ranks.join(', ');
      el.classList.toggle('hot-many', many);
      el.style.width = many ? 'auto' : '24px';
      el.style.marginLeft = many ? `-${Math.round(el.offsetWidth / 2)}px` : '';
    });
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
        declutter(map, layer);
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
    map.on('zoomend', () => declutter(map, layer));
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
