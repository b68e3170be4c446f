// Opens the live stream while the app's bundle is still loading, so the snapshot travels while
// the page's JavaScript loads and React builds the page. The snapshot comes over HTTP
// (`GET /snapshot`: bytes the service prepares once per version, gzip on the wire, 0.55 MB at
// 100x instead of a 7.9 MB WebSocket frame that a new connection gets built and sent for it);
// the stream is then opened from the snapshot's position (`?since_seq=&epoch=`), so it carries
// only the events since. To the app this is one connection whose first frame is the snapshot:
// the HTTP snapshot is handed over as that frame. Should the snapshot request fail, or carry no
// position, the stream is opened the ordinary way and brings its own snapshot.
//
// The snapshot request and the socket live in a worker (stream-worker.js), so that receiving them
// does not wait on (or hold up) the main thread. Frames are kept in order until the app adopts the connection (src/earlyStream.ts),
// which it only does when it asks for this very URL. A classic script from the page's own
// origin (the service's CSP allows no inline script).
(function () {
  try {
    var q = new URLSearchParams(location.search);
    // another API or stream chosen: the app decides where to connect, nothing to open here
    if (q.get('api') || q.get('stream') || window.LIVING_MAP_CONFIG || typeof Worker !== 'function' || typeof WebSocket !== 'function') return;
    var m = location.pathname.match(/^(.*\/living-map)(\/|$)/);
    var api = m ? m[1] : '/living-map';
    // batched framing: the worker hands the page a few messages a second, not one per event
    var url = location.origin.replace(/^http/i, 'ws') + api + '/stream?batch=1';
    var mark = function (n) {
      if (performance.mark) performance.mark(n);
    };
    mark('living-map:early-stream-connect');
    // The worker fetches the snapshot too, and decodes it: receiving and decoding 8.9 MB at 100x
    // took the main thread about half a second (traced) while the bundle waited to run. It comes
    // back as the stream's first frame.
    // what to fetch and open goes in the worker's URL (its fragment, which no request carries):
    // the worker starts at once, where a message posted now reached it only when this thread got
    // to it, and this thread is busy with the app's bundle then (up to 0.3 s at 100x, measured)
    var worker = new Worker('./stream-worker.js#' + encodeURIComponent(JSON.stringify({ snapshot: location.origin + api + '/snapshot', open: url })));
    // opened: the app was told the connection is open (with the HTTP snapshot); the worker's own
    // `open` then says nothing new
    // push: where what arrives goes (kept in `events` until the app adopts the connection and
    // puts its own delivery here)
    var early = { url: url, worker: worker, events: [], adopted: false, opened: false };
    early.push = function (ev) {
      early.events.push(ev);
    };
    worker.onmessage = function (e) {
      var m = e.data;
      if (m.type === 'snapshot') {
        mark('living-map:early-snapshot');
        // the worker's steps (epoch ms), as marks on the page's timeline
        for (var k in m.steps || {}) {
          try {
            performance.mark('living-map:early-snapshot-' + k, { startTime: m.steps[k] - performance.timeOrigin });
          } catch (ignored) {
            // an old browser: marks without a start time
          }
        }
        early.opened = true;
        early.push({ type: 'open' });
        early.push({ type: 'message', data: m.data });
        return;
      }
      if (m.type === 'open') {
        mark('living-map:early-stream-open');
        if (early.opened) return;
      }
      early.push(m);
    };
    worker.onerror = function () {
      early.push({ type: 'error' });
      early.push({ type: 'close', code: 1006, reason: 'stream worker failed' });
    };
    window.__livingMapEarly = early;
    // not adopted in time (the app failed to load): do not hold the connection open
    setTimeout(function () {
      if (!early.adopted) worker.terminate();
    }, 30000);
  } catch (e) {
    // the app connects by itself
  }
})();
