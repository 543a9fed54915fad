// The moderators' desk: a small map per report with its position, and the public scenes for
// context when no tiles are configured.
(function () {
  const config = JSON.parse(document.getElementById('lb-config').textContent || '{}');
  const maps = [...document.querySelectorAll('.mod-map[data-lat]')];
  if (!maps.length) return;
  const scenes = fetch('/api/v1/public/extents').then(r => r.json()).catch(() => null);
  maps.forEach(el => {
    const at = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)];
    const map = L.map(el, { scrollWheelZoom: false, keyboard: false }).setView(at, 16);
    if (config.tiles) L.tileLayer(config.tiles, { maxZoom: 19, attribution: config.attribution || '' }).addTo(map);
    scenes.then(fc => {
      if (fc) L.geoJSON(fc, { style: { color: '#1f5fa8', weight: 1, fillOpacity: 0.08 } }).addTo(map);
    });
    L.circleMarker(at, { radius: 9, color: '#a50f15', weight: 3, fillOpacity: 0.6 }).addTo(map);
    el.dataset.ready = '1';
  });
})();
