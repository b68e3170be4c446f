// A stream connection run off the main thread (opened by early-stream.js, and by the app for its
// later connections): Chromium reads a WebSocket's message on the thread that owns the socket,
// and the snapshot is megabytes at 100x; on the main thread its reception waited on (and held
// up) the page's own start-up.
//
// On a batched stream (`batch=1`: a message may hold several frames, one per line) the frames
// that arrive within FLUSH_MS go to the page as one message, their lines joined: at 100x the
// service sends about 600 messages a second (2,000+ events), and each one posted to the page was
// a task of its own on its main thread (traced: a third of the main thread while panning).
// Otherwise frames go as they are. Order holds: open, error and close flush what is pending
// first. The page sends `send` and `close`.
var FLUSH_MS = 50;
var ws = null;
var stopped = false;
var pending = [];
var timer = 0;
function flush() {
  timer = 0;
  if (!pending.length) return;
  var data = pending.length === 1 ? pending[0] : pending.join('\n');
  pending = [];
  postMessage({ type: 'message', data: data });
}
// `{snapshot, open}` (early-stream.js): the snapshot over HTTP first, handed to the page as the
// stream's first frame (text), then the stream opened from its position. Should
// the request fail or its answer carry no position, the stream is opened the ordinary way and
// brings its own snapshot.
function snapshotThenOpen(m) {
  var plain = function () {
    openSocket(m.open);
  };
  if (typeof fetch !== 'function') return plain();
  // `wire=gzip`: the service's gzip bytes as a file, inflated here. Chromium moves a decoded body
  // from its network process to the page in pieces (about 0.3 s for 8.9 MB at 100x on a quiet
  // machine, 0.7 s while a page loads); 0.55 MB and an inflate in this thread cost far less. A
  // service or stand-in that answers JSON anyway is read as JSON.
  var inflate = typeof DecompressionStream === 'function' && typeof Response === 'function';
  var get = function (wire) {
    return fetch(m.snapshot + (wire ? '?wire=gzip' : ''), { headers: { Accept: wire ? 'application/gzip, application/json' : 'application/json' } }).then(function (r) {
      if (!r.ok) {
        if (wire && r.status === 400) return get(false); // a service without wire=gzip
        throw new Error('snapshot ' + r.status);
      }
      if (wire && /gzip/i.test(r.headers.get('Content-Type') || '') && r.body) {
        return new Response(r.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer();
      }
      return r.arrayBuffer();
    });
  };
  get(inflate)
    .then(function (buf) {
      // decoded and framed here: on the page's main thread decoding 8.9 MB took 140-270 ms
      // (measured), posting the string costs a copy
      var text = new TextDecoder().decode(buf);
      // the snapshot's top-level position comes first in its JSON (generated_at, seq, epoch)
      var head = text.slice(0, 300);
      var seq = head.match(/"seq":(\d+)/);
      var epoch = head.match(/"epoch":"([^"\\]*)"/);
      if (!seq || !epoch || head.charAt(0) !== '{') return plain();
      var frame = '{"kind":"snapshot","seq":' + seq[1] + ',"epoch":' + JSON.stringify(epoch[1]) + ',"data":' + text + '}';
      postMessage({ type: 'snapshot', data: frame });
      openSocket(m.open + (m.open.indexOf('?') < 0 ? '?' : '&') + 'since_seq=' + seq[1] + '&epoch=' + encodeURIComponent(epoch[1]));
    })
    .catch(plain);
}
onmessage = function (e) {
  var m = e.data || {};
  if (m.snapshot && m.open && !ws) snapshotThenOpen(m);
  else if (m.open && !ws) openSocket(m.open);
  else if (m.send !== undefined && ws) ws.send(m.send);
  else if (m.close && ws) ws.close(m.close[0], m.close[1]);
  else if (m.close && !stopped) {
    // closed while the snapshot was on its way: no socket is opened
    stopped = true;
    postMessage({ type: 'close', code: m.close[0], reason: m.close[1] });
    close();
  }
};
function openSocket(url) {
  if (stopped) return;
  var batched = /[?&]batch=1(&|$)/.test(url);
  ws = new WebSocket(url);
  ws.onopen = function () {
    postMessage({ type: 'open' });
  };
  ws.onmessage = function (ev) {
    if (!batched || typeof ev.data !== 'string') {
      flush();
      postMessage({ type: 'message', data: ev.data });
      return;
    }
    pending.push(ev.data);
    if (!timer) timer = setTimeout(flush, FLUSH_MS);
  };
  ws.onerror = function () {
    flush();
    postMessage({ type: 'error' });
  };
  ws.onclose = function (ev) {
    flush();
    postMessage({ type: 'close', code: ev.code, reason: ev.reason });
    close();
  };
}
