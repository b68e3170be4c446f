// The first stream connection, run off the main thread (opened by early-stream.js): Chromium
// reads a WebSocket's message on the thread that owns the socket, and the snapshot is megabytes
// at 100x; on the main thread its reception waited on (and held up) the page's own start-up.
// Frames go to the page as they are (text), in order; the page sends `send` and `close`.
var ws = null;
onmessage = function (e) {
  var m = e.data || {};
  if (m.open && !ws) {
    ws = new WebSocket(m.open);
    ws.onopen = function () {
      postMessage({ type: 'open' });
    };
    ws.onmessage = function (ev) {
      postMessage({ type: 'message', data: ev.data });
    };
    ws.onerror = function () {
      postMessage({ type: 'error' });
    };
    ws.onclose = function (ev) {
      postMessage({ type: 'close', code: ev.code, reason: ev.reason });
      close();
    };
  } else if (m.send !== undefined && ws) ws.send(m.send);
  else if (m.close && ws) ws.close(m.close[0], m.close[1]);
};
