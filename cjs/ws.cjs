'use strict';
// `require('switchboard/ws')`, shaped as ws's CommonJS entry: the WebSocket class, carrying
// `WebSocket.Server`, `WebSocket.WebSocketServer`, `createWebSocketStream` (the ES module build's
// default export) and the module's other named exports, so that `new WebSocket(url)` and
// `new WebSocket.Server(options)` work as with ws. It loads the ES module build (require() of an
// ES module, Node ≥ 20.19 and ≥ 22.12): the class is the very one `import` gives.
const ws = require('../dist/ws/index.js');
const WebSocket = ws.default;

// The properties go on the class itself (ws's entry is the class too), so after a require() the
// class `import` gives carries them as well. `default` is among them, as the namespace had it;
// the `__esModule` marker Node puts on a required ES module with a default export is not: ws's
// class has none.
for (const [name, value] of Object.entries(ws)) {
  if (name !== '__esModule' && !Object.hasOwn(WebSocket, name)) WebSocket[name] = value;
}

module.exports = WebSocket;
