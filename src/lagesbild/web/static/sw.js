// The service worker: keeps the report page and its scripts on the device, so that a field
// reporter can open the form with no network; the reports themselves wait in the page's
// outbox (outbox.js). Only GET requests for the report page and static files are touched.
const CACHE = 'lagesbild-v1';
const SHELL = ['/report', '/static/lagesbild.css', '/static/outbox.js', '/static/report.js', '/static/pickmap.js',
  '/static/leaflet/leaflet.js', '/static/leaflet/leaflet.css', '/observe', '/static/observe.js'];
const PAGES = ['/report', '/observe'];  // kept for offline use: the field report, place observation

self.addEventListener('install', event => {
  event.waitUntil(caches.open(CACHE).then(c => c.addAll(SHELL)).catch(() => {}));
  self.skipWaiting();
});
self.addEventListener('activate', event => {
  event.waitUntil(caches.keys().then(keys => Promise.all(
    keys.filter(k => k !== CACHE).map(k => caches.delete(k)))).then(() => self.clients.claim()));
});
self.addEventListener('fetch', event => {
  const req = event.request;
  const url = new URL(req.url);
  if (url.origin !== location.origin) return;
  if (req.method === 'POST' && (url.pathname === '/logout' || url.pathname === '/api/v1/logout')) {
    // the device may be shared: the report page kept for offline use lists the user's own
    // reports, so it goes with the session (the outbox of unsent reports stays, per user)
    event.waitUntil(caches.open(CACHE).then(c => Promise.all(PAGES.map(p => c.delete(p)))));
    return;
  }
  if (req.method !== 'GET') return;
  if (PAGES.includes(url.pathname)) {  // network first, the last copy when offline
    const page = url.pathname;
    event.respondWith(fetch(req).then(res => {
      if (res.ok) { const copy = res.clone(); caches.open(CACHE).then(c => c.put(page, copy)); }
      return res;
    }).catch(() => caches.match(page)));
  } else if (url.pathname.startsWith('/static/')) {  // cache first, refreshed in the background
    event.respondWith(caches.match(req).then(hit => {
      const net = fetch(req).then(res => {
        if (res.ok) { const copy = res.clone(); caches.open(CACHE).then(c => c.put(req, copy)); }
        return res;
      });
      return hit || net;
    }));
  }
});
