// A small map to choose a position: tap or click the map, use the device's position, or type
// the coordinates (keyboard users). Fills the #lat and #lon fields. Works without tiles.
(function () {
  'use strict';
  const cfg = JSON.parse(document.getElementById('lb-config').textContent);
  const el = document.getElementById('pickmap');
  if (!el) return;
  const lat = document.getElementById('lat');
  const lon = document.getElementById('lon');
  const status = document.getElementById('report-status');
  const num = v => parseFloat(String(v).replace(',', '.'));
  // With no position yet: Sergels torg, or the middle of the store's region when that lies
  // elsewhere (a store set up for Oslo or Manchester).
  const r = cfg.region || [10, 55, 24.5, 69.5];
  const home = r[0] <= 18.0649 && 18.0649 <= r[2] && r[1] <= 59.3326 && 59.3326 <= r[3]
    ? [59.3326, 18.0649] : [(r[1] + r[3]) / 2, (r[0] + r[2]) / 2];
  const start = isFinite(num(lat.value)) && isFinite(num(lon.value))
    ? [num(lat.value), num(lon.value)] : home;
  const map = L.map(el).setView(start, isFinite(num(lat.value)) ? 17 : 15);
  if (cfg.tiles) L.tileLayer(cfg.tiles, { maxZoom: 19, attribution: cfg.attribution || '' }).addTo(map);
  // Without tiles, show the places' outlines as landmarks.
  fetch('/map/extents.geojson').then(r => r.json()).then(fc => {
    L.geoJSON(fc, { style: { color: '#1f5fa8', weight: 2, fillOpacity: 0.08 }, interactive: false }).addTo(map);
  }).catch(() => {});
  fetch('/api/v1/streets?limit=5000').then(r => r.json()).then(fc => {
    L.geoJSON(fc, { style: { color: '#777', weight: 2 }, interactive: false }).addTo(map);
  }).catch(() => {});
  let marker = null;
  function place(la, lo, pan) {
    if (!marker) marker = L.circleMarker([la, lo], { radius: 9, color: '#a50f15', weight: 3, fillOpacity: 0.6 }).addTo(map);
    marker.setLatLng([la, lo]);
    if (pan) map.panTo([la, lo]);
  }
  if (isFinite(num(lat.value)) && isFinite(num(lon.value))) place(num(lat.value), num(lon.value));
  map.on('click', e => {
    lat.value = e.latlng.lat.toFixed(6);
    lon.value = e.latlng.lng.toFixed(6);
    place(e.latlng.lat, e.latlng.lng);
    lat.dispatchEvent(new Event('change', { bubbles: true }));
  });
  [lat, lon].forEach(inp => inp.addEventListener('change', () => {
    if (isFinite(num(lat.value)) && isFinite(num(lon.value))) place(num(lat.value), num(lon.value), true);
  }));
  const btn = document.getElementById('use-position');
  if (btn) btn.addEventListener('click', () => {
    if (!navigator.geolocation) { status.textContent = cfg.msg.no_geolocation; return; }
    navigator.geolocation.getCurrentPosition(p => {
      lat.value = p.coords.latitude.toFixed(6);
      lon.value = p.coords.longitude.toFixed(6);
      place(p.coords.latitude, p.coords.longitude, true);
      map.setZoom(17);
    }, () => { status.textContent = cfg.msg.no_geolocation; }, { enableHighAccuracy: true, timeout: 10000 });
  });
  window.LBPick = { map, place };
})();
