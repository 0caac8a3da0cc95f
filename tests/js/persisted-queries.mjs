// Apollo Client's PersistedQueryLink against the gateway: queries by hash over GET (HttpLink),
// the document sent again by POST when the hash is unknown, and a subscription over graphql-ws
// with the hash beside its document. Driven by tests/integration/test_persisted_queries.py.
//
//   node persisted-queries.mjs '{"url": ..., "field": "orders", "type": "Order"}'
//
// Stdout carries one JSON line: {"requests": [{method, query, hash, status}, ...] (every HTTP
// request, in order: whether it carried the document and the hash), "pages": [edge count of
// each query], "streamed": the first message of a subscription after the first record}. Any failure exits non-zero.

import { createHash } from "node:crypto";

import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { OperationTypeNode, parse } from "graphql";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

import { documents } from "./documents.mjs";

const TIMEOUT_MS = 60_000;
for (const method of ["log", "info", "debug", "warn"]) console[method] = console.error;
setTimeout(() => fail(`timed out after ${TIMEOUT_MS} ms`), TIMEOUT_MS).unref();

function fail(message) {
  console.error(`persisted-queries: ${message}`);
  process.exit(1);
}

const options = JSON.parse(process.argv[2]);
const { field, type } = options;
const PAGE = parse(documents({ field, type }).page);
const STREAM = parse(documents({ field, type }).stream);

const requests = [];
async function recordingFetch(uri, init) {
  const url = new URL(uri);
  const body = init.body ? JSON.parse(init.body) : Object.fromEntries(url.searchParams);
  const extensions =
    typeof body.extensions === "string" ? JSON.parse(body.extensions) : body.extensions;
  const response = await fetch(uri, init);
  requests.push({
    method: init.method ?? "GET",
    query: typeof body.query === "string",
    hash: extensions?.persistedQuery?.sha256Hash ?? null,
    status: response.status,
  });
  return response;
}

const wsClient = createClient({
  url: options.url.replace(/^http/, "ws"),
  webSocketImpl: WebSocket,
  retryAttempts: 0,
});
const client = new ApolloClient({
  link: new PersistedQueryLink({
    sha256: (text) => createHash("sha256").update(text).digest("hex"),
    useGETForHashedQueries: true,
  }).concat(
    ApolloLink.split(
      ({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION,
      new GraphQLWsLink(wsClient),
      new HttpLink({ uri: options.url, fetch: recordingFetch }),
    ),
  ),
  cache: new InMemoryCache({ typePolicies: { [type]: { keyFields: false } } }),
});

const pages = [];
let first;
for (let i = 0; i < 2; i += 1) {
  const result = await client.query({
    query: PAGE,
    variables: { first: 2 },
    fetchPolicy: "network-only",
  });
  pages.push(result.data[field].edges.length);
  first = result.data[field].edges[0].cursor;
}

// After the first record: the second one is there already.
const streamed = await new Promise((resolve, reject) => {
  const subscription = client.subscribe({ query: STREAM, variables: { after: first } }).subscribe({
    next: (result) => {
      subscription.unsubscribe();
      if (result.error) reject(result.error);
      else resolve(result.data[field]);
    },
    error: reject,
  });
});

process.stdout.write(`${JSON.stringify({ requests, pages, streamed })}\n`);
client.stop();
await wsClient.dispose();
process.exit(0);
