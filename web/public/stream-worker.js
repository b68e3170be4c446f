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
var pending = [];
var timer = 0;
function flush() {
  timer = 0;
  if (!pending.length) return;
  var data = pending.length === 1 ? pending[0] : pending.join('\n');
  pending = [];
  postMessage({ type: 'message', data: data });
}
onmessage = function (e) {
  var m = e.data || {};
  if (m.open && !ws) {
    var batched = /[?&]batch=1(&|$)/.test(m.open);
    ws = new WebSocket(m.open);
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
  } else if (m.send !== undefined && ws) ws.send(m.send);
  else if (m.close && ws) ws.close(m.close[0], m.close[1]);
};
