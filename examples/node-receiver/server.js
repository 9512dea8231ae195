// A small webhook receiver that verifies the sidecar's signatures with the `standardwebhooks`
// package (the Standard Webhooks project's JavaScript library) and prints each delivery.
//
//   npm ci && WEBHOOK_SECRET=whsec_... node server.js [--host 127.0.0.1] [--port 9001]
//
// It answers 204 to a valid signature, 401 to an invalid or missing one (400 if a signed body is
// not JSON), and prints one line per request:
//   VERIFIED msg_1_0 {"model":"res.partner",...}
//   INVALID SIGNATURE msg_1_0 No matching signature found
// --port 0 picks a free port, printed on the first line.
"use strict";

const http = require("node:http");
const { parseArgs } = require("node:util");
const { Webhook, WebhookVerificationError } = require("standardwebhooks");

const { values: args } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "9001" },
    secret: { type: "string", default: process.env.WEBHOOK_SECRET ?? "" },
  },
});
if (!args.secret) {
  console.error("Give the subscriber's secret with --secret whsec_... or WEBHOOK_SECRET.");
  process.exit(2);
}
const webhook = new Webhook(args.secret); // strips the whsec_ prefix, decodes the base64 key

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    // Verify the raw body exactly as received: re-serialised JSON would not match.
    const body = Buffer.concat(chunks).toString("utf8");
    const id = req.headers["webhook-id"] ?? "?";
    try {
      const event = webhook.verify(body, req.headers); // throws unless a v1 signature matches
      console.log(`VERIFIED ${id} ${JSON.stringify(event.data)}`);
      // Deduplicate on webhook-id here: a retry of the same content keeps its id.
      res.writeHead(204).end();
    } catch (err) {
      const invalid = err instanceof WebhookVerificationError;
      console.log(`${invalid ? "INVALID SIGNATURE" : "BAD REQUEST"} ${id} ${err.message}`);
      res.writeHead(invalid ? 401 : 400).end();
    }
  });
});

server.listen(Number(args.port), args.host, () => {
  const { address, port } = server.address();
  console.log(`Listening on http://${address}:${port}/`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
