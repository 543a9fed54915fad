// The camera editor (/cameras/new, /cameras/{id}/edit): a click on the map (or a drag of the
// marker) sets the position in the form's lat/lon; the field of view is drawn as a cone from
// the bearing (degrees from north), the angle and the range (metres) typed beside the map, and
// follows every change of them. The server checks and stores what the form sends.
(function () {
  'use strict';
  const el = document.getElementById('cameramap');
  if (!el) return;
  const cfg = JSON.parse(document.getElementById('lb-config').textContent);
  const $ = id => document.getElementById(id);
  const lat = $('lat'); const lon = $('lon');
  const bearing = $('bearing'); const angle = $('angle'); const reach = $('range');
  const dial = $('bearing-dial');
  const map = L.map(el, { zoomSnap: 0.25 });
  if (cfg.tiles) L.tileLayer(cfg.tiles, { maxZoom: 20, attribution: cfg.attribution || '' }).addTo(map);
  const cone = L.polygon([], { color: '#0b4f8a', weight: 2, fillOpacity: 0.25, interactive: false }).addTo(map);
  let marker = null;
  const num = input => { const v = parseFloat(input.value); return Number.isFinite(v) ? v : null; };

  // the sector as the server draws it (analysis.coverage.camera_sector), on a local flat
  // earth: metres to degrees at the camera's latitude, one vertex per degree of arc
  function sector(p, brg, ang, r) {
    const mLat = 111320; const mLon = 111320 * Math.cos(p.lat * Math.PI / 180);
    const span = Math.min(ang, 360); const k = Math.max(2, Math.ceil(span));
    const pts = span >= 360 ? [] : [[p.lat, p.lng]];
    for (let i = 0; i <= k; i += 1) {
      const phi = (brg - span / 2 + i * span / k) * Math.PI / 180;
      pts.push([p.lat + r * Math.cos(phi) / mLat, p.lng + r * Math.sin(phi) / mLon]);
    }
    return span >= 360 ? pts.slice(0, -1) : pts; // a full ring: its last point is its first
  }

  function position() {
    const y = num(lat); const x = num(lon);
    return y === null || x === null ? null : L.latLng(y, x);
  }

  function draw() {
    const p = position();
    const b = num(bearing); const a = num(angle); const r = num(reach);
    if (p && !marker) {
      marker = L.marker(p, { draggable: true, keyboard: true, title: cfg.msg.cone }).addTo(map);
      marker.on('drag dragend', () => { place(marker.getLatLng(), false); });
    } else if (p) marker.setLatLng(p);
    const ok = p && b !== null && a !== null && a > 0 && r !== null && r > 0;
    cone.setLatLngs(ok ? sector(p, b, a, r) : []);
    const drawn = ok ? cone.getLatLngs()[0] : [];
    el.dataset.cone = String(drawn.length);
    // the cone's corners [lat, lon], for whoever checks it against the stored camera (tests)
    el.dataset.coneLatlngs = JSON.stringify(drawn.map(q => [q.lat, q.lng]));
    el.dataset.ready = '1';
  }

  function place(p, pan) {
    lat.value = p.lat.toFixed(7); lon.value = p.lng.toFixed(7);
    draw();
    if (pan) map.panTo(p);
  }

  map.on('click', e => place(e.latlng, false));
  [lat, lon, bearing, angle, reach].forEach(i => i.addEventListener('input', draw));
  if (dial) {
    dial.addEventListener('input', () => { bearing.value = dial.value; draw(); });
    bearing.addEventListener('input', () => { const b = num(bearing); if (b !== null) dial.value = String(Math.round(b) % 360); });
  }
  // the other cameras the viewer may see, faint, for where this one sits among them
  const others = L.featureGroup().addTo(map);
  fetch('/map/cameras.geojson').then(r => (r.ok ? r.json() : null)).then(fc => {
    if (!fc) return;
    L.geoJSON(fc, {
      filter: f => String(f.id) !== String(cfg.record_id),
      style: { color: '#666', weight: 1, fillOpacity: 0.08, dashArray: '3 3', interactive: false },
    }).addTo(others);
    others.bringToBack();
  });
  const start = position();
  draw();
  if (start && el.dataset.cone !== '0') map.fitBounds(cone.getBounds().extend(start).pad(0.4));
  else if (start) map.setView(start, 18);
  else map.setView(cfg.centre || [59.3326, 18.0649], 16);
})();
