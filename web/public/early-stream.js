// Opens the live stream while the app's bundle is still loading: the service answers a new
// connection with the whole snapshot (megabytes at 100x), so the snapshot travels while the
// page's JavaScript loads and React builds the page. The socket lives in a worker
// (stream-worker.js), so that receiving the snapshot does not wait on the main thread. Frames
// are kept in order until the app adopts the connection (src/earlyStream.ts), which it only
// does when it asks for this very URL. A classic script from the page's own origin (the
// service's CSP allows no inline script).
(function () {
  try {
    var q = new URLSearchParams(location.search);
    // another API or stream chosen: the app decides where to connect, nothing to open here
    if (q.get('api') || q.get('stream') || window.LIVING_MAP_CONFIG || typeof Worker !== 'function' || typeof WebSocket !== 'function') return;
    var m = location.pathname.match(/^(.*\/living-map)(\/|$)/);
    var url = location.origin.replace(/^http/i, 'ws') + (m ? m[1] : '/living-map') + '/stream';
    var mark = function (n) {
      if (performance.mark) performance.mark(n);
    };
    mark('living-map:early-stream-connect');
    var worker = new Worker('./stream-worker.js');
    var early = { url: url, worker: worker, events: [], adopted: false };
    worker.onmessage = function (e) {
      if (e.data.type === 'open') mark('living-map:early-stream-open');
      early.events.push(e.data);
    };
    worker.onerror = function () {
      early.events.push({ type: 'error' }, { type: 'close', code: 1006, reason: 'stream worker failed' });
    };
    worker.postMessage({ open: url });
    window.__livingMapEarlyStream = early;
    // not adopted in time (the app failed to load): do not hold the connection open
    setTimeout(function () {
      if (!early.adopted) worker.terminate();
    }, 30000);
  } catch (e) {
    // the app connects by itself
  }
})();
