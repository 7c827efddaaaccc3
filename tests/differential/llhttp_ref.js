// The reference side of tests/parser_differential.rs: Node.js's llhttp (the HTTP/1.1 parser
// of Node's own server) parses each request the test sends and reports what it saw.
//
// Input on stdin: one case per line, the request's bytes in hex. Output: a first line with
// llhttp's version and the methods it knows, then one JSON object per case, in order:
//   {"k":"complete", method, url, version, headers: [[name, value], ...], body, consumed}
//     the first message parsed whole (bytes in hex; consumed = the bytes it took, so where
//     the next request starts);
//   {"k":"error", code, reason}  llhttp refused the bytes before the first message ended;
//   {"k":"incomplete"}           it wants more.
// argv[2] picks the parser's leniency: "strict" (kLenientNone, Node's default) or a
// comma-separated list of llhttp lenient flags (e.g. "OptionalCRBeforeLF").
'use strict';
const { HTTPParser, methods } = require('_http_common');
const readline = require('readline');

function flags(arg) {
  if (!arg || arg === 'strict') return HTTPParser.kLenientNone;
  let f = 0;
  for (const name of arg.split(',')) {
    const v = HTTPParser['kLenient' + name];
    if (typeof v !== 'number') throw new Error('unknown llhttp lenient flag ' + name);
    f |= v;
  }
  return f;
}
const lenient = flags(process.argv[2]);

// Runs llhttp over `buf`; returns the first message (or null) and the error before it, if any.
function run(buf) {
  const p = new HTTPParser();
  let cur = null;
  let first = null;
  let headers = [];
  p[HTTPParser.kOnHeaders] = (h) => { headers = headers.concat(h); };
  p[HTTPParser.kOnHeadersComplete] = (maj, min, h, method, url) => {
    if (first) return 0;
    const raw = (h || headers);
    const pairs = [];
    for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i], raw[i + 1]]);
    cur = { method: methods[method], url, version: maj + '.' + min, headers: pairs, body: [] };
    return 0;
  };
  p[HTTPParser.kOnBody] = (b) => { if (cur && !first) cur.body.push(Buffer.from(b)); };
  p[HTTPParser.kOnMessageComplete] = () => { if (!first) first = cur; };
  p[HTTPParser.kOnExecute] = () => {};
  p.initialize(HTTPParser.REQUEST, {}, 0, lenient);
  const r = p.execute(buf);
  const err = r instanceof Error ? r : null;
  p.close();
  return { first, err };
}

function verdict(buf) {
  const whole = run(buf);
  if (!whole.first) {
    if (whole.err) return { k: 'error', code: whole.err.code, reason: whole.err.reason };
    return { k: 'incomplete' };
  }
  // Where the first message ended: the shortest prefix that completes it (monotone in length).
  let lo = 0;
  let hi = buf.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (run(buf.subarray(0, mid)).first) hi = mid; else lo = mid + 1;
  }
  const m = whole.first;
  return {
    k: 'complete',
    method: m.method,
    url: Buffer.from(m.url, 'latin1').toString('hex'),
    version: m.version,
    headers: m.headers.map(([n, v]) => [Buffer.from(n, 'latin1').toString('hex'),
      Buffer.from(v, 'latin1').toString('hex')]),
    body: Buffer.concat(m.body).toString('hex'),
    consumed: lo,
  };
}

const out = [];
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => { out.push(JSON.stringify(verdict(Buffer.from(line.trim(), 'hex')))); });
rl.on('close', () => {
  process.stdout.write(JSON.stringify({ llhttp: process.versions.llhttp, methods }) + '\n');
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
});
