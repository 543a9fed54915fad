// The mapping round's maps. On /rounds/{year}: this round's extents over the round before
// (dashed). On /rounds/{year}/{place}: the extent editor (Leaflet-Geoman, served by the app from
// node_modules): draw, move and delete vertices, cut holes, delete; the drawn polygons are kept
// in the form's `geometry` field as GeoJSON (WGS84), and the server measures them in the store's
// projected CRS (`measure`), so the hectares shown are those `lagesbild places` prints.
(function () {
  'use strict';
  const cfg = JSON.parse(document.getElementById('lb-config').textContent);
  const msg = cfg.msg || {};
  const nf2 = new Intl.NumberFormat(cfg.lang === 'sv' ? 'sv-SE' : 'en-GB',
    { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const nf0 = new Intl.NumberFormat(cfg.lang === 'sv' ? 'sv-SE' : 'en-GB', { maximumFractionDigits: 0 });
  const esc = s => String(s == null ? '' : s).replace(/[&<>"']/g, ch => (
    { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]));
  const ha = v => `${nf2.format(v)} ha`;
  const signedHa = v => `${v > 0 ? '+' : ''}${nf2.format(v)} ha`;
  const STYLE = {
    before: { color: '#555', weight: 2, dashArray: '6 5', fillOpacity: 0.05, interactive: false, pmIgnore: true },
    place: { color: '#222', weight: 1, dashArray: '2 4', fill: false, interactive: false, pmIgnore: true },
    gained: { color: '#1e7b34', weight: 1, fillColor: '#1e7b34', fillOpacity: 0.35, interactive: false, pmIgnore: true },
    lost: { color: '#b30000', weight: 1, fillColor: '#b30000', fillOpacity: 0.35, interactive: false, pmIgnore: true },
    band: { color: '#a35f00', weight: 1, fillColor: '#f0a830', fillOpacity: 0.6, interactive: false, pmIgnore: true },
    drawn: { color: '#0b4f8a', weight: 3, fillOpacity: 0.15 },
  };

  function baseMap(el) {
    const map = L.map(el, { zoomSnap: 0.25 });
    if (cfg.tiles) L.tileLayer(cfg.tiles, { maxZoom: 20, attribution: cfg.attribution || '' }).addTo(map);
    return map;
  }

  // ---------------------------------------------------------------- /rounds/{year}
  const yearEl = document.getElementById('yearmap');
  if (yearEl) {
    const map = baseMap(yearEl);
    const fc = { type: 'FeatureCollection', features: cfg.features || [] };
    const layer = L.geoJSON(fc, {
      style: f => f.properties.role === 'before' ? STYLE.before
        : { color: f.properties.status === 'listed' ? '#b30000' : '#0b4f8a', weight: 3, fillOpacity: 0.2 },
      onEachFeature: (f, l) => l.bindTooltip(
        `${esc(f.properties.place)} ${esc(f.properties.year)}: ${ha(f.properties.area_ha)}, ${esc(msg['status.' + f.properties.status] || f.properties.status)}`),
    }).addTo(map);
    if (fc.features.length) map.fitBounds(layer.getBounds().pad(0.1));
    else map.setView([59.3326, 18.0649], 14);
    yearEl.dataset.ready = '1';
    return;
  }

  // ---------------------------------------------------------------- the editor
  const el = document.getElementById('roundmap');
  if (!el) return;
  const field = document.getElementById('geometry');
  const areaOut = document.getElementById('area-ha');
  const problemEl = document.getElementById('geometry-problem');
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const map = baseMap(el);
  const context = L.featureGroup().addTo(map);
  const compareLayer = L.featureGroup().addTo(map);
  const bandLayer = L.featureGroup().addTo(map);
  if (cfg.place) L.geoJSON(cfg.place, { style: STYLE.place, pmIgnore: true }).addTo(context);
  if (cfg.previous) {
    L.geoJSON(cfg.previous.geometry, { style: STYLE.before, pmIgnore: true })
      .bindTooltip(`${esc(msg.round_before)} ${cfg.previous.year}`).addTo(context);
  }
  const drawn = L.featureGroup().addTo(map);
  let repaired = cfg.repaired;

  // the polygons drawn, as one GeoJSON geometry (a Polygon, or a MultiPolygon of several)
  function geometry() {
    const polys = [];
    drawn.eachLayer(l => {
      if (!(l instanceof L.Polygon)) return;
      const g = l.toGeoJSON().geometry;
      if (g.type === 'Polygon') polys.push(g.coordinates);
      else if (g.type === 'MultiPolygon') polys.push(...g.coordinates);
    });
    if (!polys.length) return null;
    return polys.length === 1 ? { type: 'Polygon', coordinates: polys[0] }
      : { type: 'MultiPolygon', coordinates: polys };
  }

  function watch(layer) {
    layer.on('pm:edit pm:update pm:dragend pm:vertexremoved pm:markerdragend', changed);
  }

  function load(geom) {
    drawn.clearLayers();
    if (!geom) { changed(); return; }
    const gj = L.geoJSON(geom, { style: STYLE.drawn });
    gj.eachLayer(l => {
      // a MultiPolygon becomes one editable polygon per part
      if (l.feature && l.feature.geometry.type === 'MultiPolygon') {
        l.feature.geometry.coordinates.forEach(c => {
          const p = L.GeoJSON.geometryToLayer({ type: 'Polygon', coordinates: c }, { style: () => STYLE.drawn });
          p.setStyle(STYLE.drawn); drawn.addLayer(p); watch(p);
        });
      } else { l.setStyle(STYLE.drawn); drawn.addLayer(l); watch(l); }
    });
    changed();
  }

  let timer = null;
  let asked = 0;
  function changed() {
    const g = geometry();
    field.value = g ? JSON.stringify(g) : '';
    areaOut.dataset.pending = '1'; // until the server has measured this geometry
    clearTimeout(timer);
    timer = setTimeout(measure, 150);
  }

  function measure() {
    const g = geometry();
    const n = ++asked;
    if (!g) {
      areaOut.textContent = '–'; areaOut.dataset.ha = ''; delete areaOut.dataset.pending;
      problemEl.hidden = true; compareLayer.clearLayers();
      document.getElementById('compare').hidden = true;
      el.dataset.ready = '1';
      return;
    }
    areaOut.dataset.pending = '1';
    fetch(cfg.measure, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ geometry: g }),
    }).then(r => r.json()).then(out => {
      if (n !== asked) return; // a later edit is being measured
      delete areaOut.dataset.pending;
      areaOut.dataset.ha = out.area_ha == null ? '' : String(out.area_ha);
      areaOut.textContent = out.area_ha == null ? '–' : ha(out.area_ha);
      // the server's refusal of the last save says the same: show it once
      const refused = document.getElementById('geometry-error');
      const same = refused && out.problem && refused.textContent.trim() === out.problem;
      if (refused && !same) refused.remove();
      problemEl.hidden = !out.problem || same;
      problemEl.textContent = out.problem && !same ? `${msg.problem}: ${out.problem}` : '';
      repaired = out.repaired || null;
      const useRepaired = document.getElementById('use-repaired');
      if (useRepaired) useRepaired.hidden = !repaired;
      showCompare(out.compare);
      el.dataset.ready = '1';
    });
  }

  function showCompare(c) {
    compareLayer.clearLayers();
    const box = document.getElementById('compare');
    if (!c) { box.hidden = true; return; }
    if (c.gained) L.geoJSON(c.gained, { style: STYLE.gained, pmIgnore: true }).addTo(compareLayer);
    if (c.lost) L.geoJSON(c.lost, { style: STYLE.lost, pmIgnore: true }).addTo(compareLayer);
    document.getElementById('cmp-change').textContent = signedHa(c.change_ha);
    document.getElementById('cmp-gained').textContent = ha(c.gained_ha);
    document.getElementById('cmp-lost').textContent = ha(c.lost_ha);
    document.getElementById('cmp-moved').textContent = `${nf0.format(c.centre_moved_m)} m`;
    box.hidden = false;
  }

  if (cfg.editable && map.pm) {
    if (map.pm.setLang) map.pm.setLang(cfg.lang === 'sv' ? 'sv' : 'en');
    map.pm.setGlobalOptions({ layerGroup: drawn, pathOptions: STYLE.drawn, snappable: true, allowSelfIntersection: true });
    map.pm.addControls({
      position: 'topleft',
      drawMarker: false, drawCircleMarker: false, drawPolyline: false, drawCircle: false,
      drawText: false, rotateMode: false, drawRectangle: true, drawPolygon: true,
      editMode: true, dragMode: true, cutPolygon: true, removalMode: true,
    });
    map.on('pm:create', e => { watch(e.layer); changed(); });
    map.on('pm:remove', changed);
    map.on('pm:cut', e => {
      // Geoman replaces the cut polygon with a new layer: keep it in the drawn group
      if (e.originalLayer) drawn.removeLayer(e.originalLayer);
      if (!drawn.hasLayer(e.layer)) drawn.addLayer(e.layer);
      watch(e.layer); changed();
    });
  }

  const copyBtn = document.getElementById('copy-previous');
  if (copyBtn && cfg.previous) copyBtn.addEventListener('click', () => { load(cfg.previous.geometry); fit(); });
  const repairBtn = document.getElementById('use-repaired');
  if (repairBtn) repairBtn.addEventListener('click', () => { if (repaired) load(repaired); });
  const propBtn = document.getElementById('take-proposal');
  const propText = document.getElementById('proposal-text');
  if (propBtn) propBtn.addEventListener('click', () => {
    propText.textContent = msg.measuring;
    fetch(cfg.proposal).then(r => r.json()).then(p => {
      propText.textContent = p.text;
      bandLayer.clearLayers();
      if (!p.geometry) return;
      if (p.band) L.geoJSON(p.band, { style: STYLE.band, pmIgnore: true }).bindTooltip(esc(msg.band)).addTo(bandLayer);
      load(p.geometry); fit();
      bandLayer.eachLayer(l => l.bringToFront()); // above the drawn outline: it is a few metres wide
    });
  });

  function fit() {
    const all = L.featureGroup([context, drawn, bandLayer]);
    const b = all.getBounds();
    if (b.isValid()) map.fitBounds(b.pad(0.15));
    else map.setView([59.3326, 18.0649], 15);
  }

  let start = null;
  try { start = field.value ? JSON.parse(field.value) : null; } catch (err) { start = null; }
  load(start);
  fit();
})();
