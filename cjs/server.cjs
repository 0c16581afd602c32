'use strict';
// `require('switchboard/server')`, shaped as socket.io's CommonJS entry: a function making a
// Server, `require('switchboard/server')(httpServer, options)`, that also carries every named
// export (`const { Server } = require(...)`). It loads the ES module build (require() of an ES
// module, Node ≥ 20.19 and ≥ 22.12), so its classes are the very ones `import` gives and
// `instanceof` holds across both forms.
const server = require('../dist/server/index.js');

module.exports = Object.assign((srv, opts) => new server.Server(srv, opts), server);
