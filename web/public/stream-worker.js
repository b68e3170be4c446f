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
// when this worker's global scope was made and its script began to run (epoch ms), for the
// benchmarks' account of the first draw
var booted = typeof performance === 'object' && performance.timeOrigin ? { created: performance.timeOrigin, script: performance.timeOrigin + performance.now() } : {};
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
// stream's first frame (text), then the stream opened from its position. Should the request fail
// or its answer carry no position, the stream is opened the ordinary way and brings its own
// snapshot.
//
// The snapshot is read as it inflates, and handed over in two parts when it has the service's
// layout (layers city, space, nodes, then agents, then meta): everything before the agents layer
// as soon as it is in (`part: 1`, 3 of 8.9 MB at 100x), the agents layer and meta when the rest
// is (`part: 2`); the client joins them. The other layers are drawn meanwhile: inflating,
// decoding, handing over and parsing the agents were most of the first draw at 100x.
function snapshotThenOpen(m) {
  started = true;
  var plain = function () {
    openSocket(m.open);
  };
  if (typeof fetch !== 'function' || typeof TextDecoder !== 'function') return plain();
  // `wire=gzip`: the service's gzip bytes as a file, inflated here. Chromium moves a decoded body
  // from its network process to the page in pieces (about 0.3 s for 8.9 MB at 100x on a quiet
  // machine, 0.7 s while a page loads); 0.55 MB and an inflate in this thread cost far less. A
  // service or stand-in that answers JSON anyway is read as JSON.
  var inflate = typeof DecompressionStream === 'function';
  // when each step ended, in the page's clock's terms (epoch ms: the worker has its own origin);
  // the page marks them for the benchmarks
  var steps = { created: booted.created, script: booted.script };
  var at = function (name) {
    if (typeof performance === 'object' && performance.timeOrigin) steps[name] = performance.timeOrigin + performance.now();
  };
  at('fetch');
  var get = function (wire) {
    return fetch(m.snapshot + (wire ? '?wire=gzip' : ''), { headers: { Accept: wire ? 'application/gzip, application/json' : 'application/json' } }).then(function (r) {
      at('headers');
      if (!r.ok) {
        if (wire && r.status === 400) return get(false); // a service without wire=gzip
        throw new Error('snapshot ' + r.status);
      }
      if (!r.body) return r.arrayBuffer();
      return wire && /gzip/i.test(r.headers.get('Content-Type') || '') ? r.body.pipeThrough(new DecompressionStream('gzip')) : r.body;
    });
  };
  var pos = null; // {seq, epoch}: read from the snapshot's head
  var frame = function (extra, data) {
    return '{"kind":"snapshot","seq":' + pos.seq + ',"epoch":' + JSON.stringify(pos.epoch) + extra + ',"data":' + data + '}';
  };
  var position = function (text) {
    // the snapshot's top-level position comes first in its JSON (generated_at, seq, epoch)
    var head = text.slice(0, 300);
    var seq = head.match(/"seq":(\d+)/);
    var epoch = head.match(/"epoch":"([^"\\]*)"/);
    return seq && epoch && head.charAt(0) === '{' ? { seq: seq[1], epoch: epoch[1] } : null;
  };
  get(inflate)
    .then(function (body) {
      if (!body.getReader) return [new TextDecoder().decode(body)]; // no stream to read: whole
      var reader = body.getReader();
      var decoder = new TextDecoder();
      var find = agentsLayerSplit();
      var chunks = [];
      var split = -1;
      var pump = function () {
        return reader.read().then(function (r) {
          var s = r.done ? decoder.decode() : decoder.decode(r.value, { stream: true });
          if (s && split < 0) {
            var i = find(s);
            if (i >= 0) {
              var text = chunks.join('') + s;
              pos = position(text);
              if (!pos) throw new Error('snapshot without a position');
              split = i;
              // decoded and framed here: on the page's main thread decoding took 140-270 ms at
              // 100x (measured), posting the string costs a copy
              at('part1');
              postMessage({ type: 'snapshot', data: frame(',"part":1', text.slice(0, split) + '}}'), steps: steps });
              chunks = ['{"layers":{' + text.slice(split + 1)];
              s = '';
            }
          }
          if (s) chunks.push(s);
          return r.done ? chunks : pump();
        });
      };
      return pump().then(function (c) {
        at('body');
        return split >= 0 ? { rest: c.join('') } : c;
      });
    })
    .then(function (got) {
      if (got.rest !== undefined) {
        postMessage({ type: 'message', data: frame(',"part":2', got.rest) });
      } else {
        var text = got.join('');
        pos = position(text);
        if (!pos) return plain();
        postMessage({ type: 'snapshot', data: frame('', text), steps: steps });
      }
      openSocket(m.open + (m.open.indexOf('?') < 0 ? '?' : '&') + 'since_seq=' + pos.seq + '&epoch=' + encodeURIComponent(pos.epoch));
    })
    .catch(plain);
}

// A scanner fed the snapshot's text piece by piece: the offset (from the start of all it was fed)
// of the comma before the agents layer inside the top-level `layers` object, or -1 until then.
// JSON-aware (strings and escapes), so a name that holds `,"agents":{` does not split it, and a
// snapshot in another layout (no such key there, pretty-printed) is simply never split.
function agentsLayerSplit() {
  var KEY = '"agents":';
  var depth = 0;
  var inString = false;
  var escaped = false;
  var key = ''; // the top-level key being read (short ones only)
  var lastKey = '';
  var inLayers = false;
  var comma = -1; // a comma inside layers, its key being matched
  var matched = 0;
  var fed = 0;
  var done = false;
  return function (s) {
    if (done) return -1;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (comma >= 0) {
        if (c === KEY.charCodeAt(matched)) {
          if (++matched === KEY.length) {
            done = true;
            return comma;
          }
        } else comma = -1;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 92) escaped = true;
        else if (c === 34) {
          inString = false;
          if (depth === 1) lastKey = key;
        } else if (depth === 1 && key.length < 16) key += s.charAt(i);
      } else if (c === 34) {
        inString = true;
        key = '';
      } else if (c === 123 || c === 91) {
        depth++;
        if (depth === 2) inLayers = c === 123 && lastKey === 'layers';
      } else if (c === 125 || c === 93) {
        depth--;
        if (depth < 2 && inLayers) {
          done = true; // the layers ended without an agents layer after another
          return -1;
        }
      } else if (c === 44 && depth === 2 && inLayers) {
        comma = fed + i;
        matched = 0;
      }
    }
    fed += s.length;
    return -1;
  };
}
var started = false;
onmessage = function (e) {
  var m = e.data || {};
  if (m.snapshot && m.open) {
    if (!ws && !started) snapshotThenOpen(m); // else started from the URL already
  } else if (m.open && !ws && !started) openSocket(m.open);
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

// early-stream.js names the snapshot and the stream in this worker's URL fragment: start now
(function () {
  var hash = typeof location === 'object' && location && location.hash;
  if (!hash || hash.length < 2) return;
  try {
    var m = JSON.parse(decodeURIComponent(hash.slice(1)));
    if (m && typeof m.snapshot === 'string' && typeof m.open === 'string') snapshotThenOpen(m);
  } catch (e) {
    // not ours: wait for the page's message
  }
})();
