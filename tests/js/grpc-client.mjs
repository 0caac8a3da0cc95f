// A real Node gRPC client against the gateway's gRPC face: @grpc/grpc-js with
// @grpc/proto-loader loading the repository's .proto (proto/kafka_gateway/v1/gateway.proto).
// Driven by tests/integration/test_grpc_node.py.
//
//   node grpc-client.mjs '{"target": "127.0.0.1:50051", "token": "...", "topic": "..."}'
//
// It sends one message and a batch, streams them back from offset 0, cancels, resumes from the
// second message's cursor, lists the topics and makes one call without a token. Stdout carries
// one JSON line with what it saw; any failure exits non-zero.

import path from "node:path";
import { fileURLToPath } from "node:url";

import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const TIMEOUT_MS = 60_000;
setTimeout(() => fail(`timed out after ${TIMEOUT_MS} ms`), TIMEOUT_MS).unref();

const here = path.dirname(fileURLToPath(import.meta.url));
const PROTO_ROOT = path.join(here, "..", "..", "proto");
const definition = protoLoader.loadSync("kafka_gateway/v1/gateway.proto", {
  includeDirs: [PROTO_ROOT],
  keepCase: true,
  longs: String,
  // Unset fields stay absent (proto3 leaves out zeros: `?? "0"` below), lists are lists.
  defaults: false,
  arrays: true,
  oneofs: true,
});
const { KafkaGateway } = grpc.loadPackageDefinition(definition).kafka_gateway.v1;

const { target, token, topic } = JSON.parse(process.argv[2]);
const client = new KafkaGateway(target, grpc.credentials.createInsecure());
const auth = new grpc.Metadata();
auth.set("authorization", `Bearer ${token}`);

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function unary(method, request, metadata = auth) {
  return new Promise((resolve, reject) => {
    client[method](request, metadata, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

// The first `count` messages of a stream, then the call is cancelled.
function take(request, count) {
  return new Promise((resolve, reject) => {
    const call = client.ReceiveMessages(request, auth);
    const messages = [];
    call.on("data", (message) => {
      messages.push({
        offset: message.offset ?? "0",
        key: message.key ? message.key.toString() : null,
        json: message.json ?? null,
        headers: message.headers.map((h) => [h.key, h.value.toString()]),
        cursor: message.cursor,
      });
      if (messages.length === count) {
        call.cancel();
        resolve(messages);
      }
    });
    call.on("error", (error) => {
      if (error.code !== grpc.status.CANCELLED) reject(error);
    });
  });
}

try {
  const sent = await unary("SendMessage", {
    topic,
    message: {
      key: Buffer.from("node-1"),
      json: JSON.stringify({ from: "node", n: 1 }),
      headers: [{ key: "client", value: Buffer.from("grpc-js") }],
    },
  });
  const batch = await unary("SendMessages", {
    topic,
    messages: [{ json: JSON.stringify({ n: 2 }) }, { json: JSON.stringify({ n: 3 }) }],
  });
  const streamed = await take({ topic, from_offset: 0 }, 3);
  const resumed = await take({ topic, cursor: streamed[1].cursor }, 1);
  const listed = await unary("ListTopics", {});
  let refused = null;
  try {
    await unary("SendMessage", { topic, message: { json: "1" } }, new grpc.Metadata());
  } catch (error) {
    refused = { code: error.code, details: error.details, hasStatusDetails: error.metadata.get("grpc-status-details-bin").length > 0 };
  }
  process.stdout.write(
    `${JSON.stringify({
      sent: { partition: sent.partition ?? 0, offset: sent.offset ?? "0", seconds: sent.timestamp.seconds },
      batch: batch.results.map((r) => r.offset ?? "0"),
      streamed,
      resumed,
      topics: listed.topics.map((t) => t.name),
      refused,
    })}\n`,
  );
  client.close();
} catch (error) {
  fail(`${error.code ?? ""} ${error.details ?? error.stack ?? error}`);
}
