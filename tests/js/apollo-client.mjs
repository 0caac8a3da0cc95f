// A real Apollo Client against the gateway: Relay paging with relayStylePagination(), lists (a
// `where` filter, a `fromOffset` start) kept apart by keyArgs, and a subscription over graphql-ws
// that continues after the last page. Driven by tests/integration/test_apollo_client.py.
//
//   node apollo-client.mjs '{"url": ..., "field": "orders", "type": "Order", "first": 7,
//                            "where": {...}, "whereFirst": 2, "fromOffset": 3, "fromFirst": 4,
//                            "until": ["id", ...]}'
//
// Stdout carries only JSON lines, each with an "event":
//   paged       the merged lists read from the cache; then it waits for "subscribe" on stdin
//   subscribed  the subscription (after: the last endCursor) has delivered its first message
//   streamed    every message up to the one whose value ids are all in `until`
// Anything else (Apollo's own warnings included) goes to stderr. Any failure exits non-zero.

import { createInterface } from "node:readline";

import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from "@apollo/client";
import { loadDevMessages, loadErrorMessages } from "@apollo/client/dev";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { relayStylePagination } from "@apollo/client/utilities";
import { OperationTypeNode, parse } from "graphql";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

import { documents } from "./documents.mjs";

const TIMEOUT_MS = 60_000;

for (const method of ["log", "info", "debug"]) console[method] = console.error;
loadDevMessages();
loadErrorMessages();
setTimeout(() => fail(`timed out after ${TIMEOUT_MS} ms`), TIMEOUT_MS).unref();

const options = JSON.parse(process.argv[2]);
const { field, type } = options;
const PAGE = parse(documents({ field, type }).page);
const STREAM = parse(documents({ field, type }).stream);

function emit(event, body = {}) {
  process.stdout.write(`${JSON.stringify({ event, ...body })}\n`);
}

function fail(message) {
  console.error(`apollo-client: ${message}`);
  process.exit(1);
}

const wsClient = createClient({
  url: options.url.replace(/^http/, "ws"),
  webSocketImpl: WebSocket,
  retryAttempts: 0,
});
const client = new ApolloClient({
  link: ApolloLink.split(
    ({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION,
    new GraphQLWsLink(wsClient),
    new HttpLink({ uri: options.url }),
  ),
  cache: new InMemoryCache({
    typePolicies: {
      Query: {
        fields: {
          // The arguments that choose the list; first and after page through it.
          [field]: relayStylePagination(["where", "partitions", "fromOffset", "fromTimestamp"]),
        },
      },
      // A value's `id` names the order, not the record: several records (an order's updates)
      // share it, so values are kept per record instead of being merged into one entity.
      [type]: { keyFields: false },
    },
  }),
});

// What a component does with useQuery + fetchMore: load the first page, then pass the merged
// pageInfo.endCursor as `after` until hasNextPage is false. Returns the merged list as the cache
// holds it.
async function pageThrough(variables) {
  const query = client.watchQuery({ query: PAGE, variables });
  let watching;
  await new Promise((resolve, reject) => {
    watching = query.subscribe({
      next: (result) => (result.error ? reject(result.error) : result.loading || resolve()),
      error: reject,
    });
  });
  let requests = 1;
  let merged = client.readQuery({ query: PAGE, variables })[field];
  while (merged.pageInfo.hasNextPage) {
    await query.fetchMore({ variables: { after: merged.pageInfo.endCursor } });
    requests += 1;
    merged = client.readQuery({ query: PAGE, variables })[field];
  }
  watching.unsubscribe();
  return {
    requests,
    typename: merged.__typename,
    pageInfo: merged.pageInfo,
    edges: merged.edges.map((edge) => ({
      typename: edge.__typename,
      cursor: edge.cursor,
      node: edge.node,
    })),
  };
}

// The root query's stored lists of `field`: keyArgs make a name like `orders:{"where":...}`.
function storedLists() {
  const root = client.cache.extract().ROOT_QUERY ?? {};
  return Object.keys(root).filter((key) => key.split(/[:(]/)[0] === field);
}

const all = await pageThrough({ first: options.first });
const filtered = await pageThrough({ first: options.whereFirst, where: options.where });
const later = await pageThrough({ first: options.fromFirst, fromOffset: options.fromOffset });
// Reading the unfiltered list again after the others were paged proves keyArgs kept them apart
// (a shared list would have been replaced by their pages).
const again = client.readQuery({ query: PAGE, variables: { first: options.first } })[field];
emit("paged", {
  all,
  filtered,
  later,
  again: again.edges.map(({ node }) => [node.partition, node.offset]),
  storedLists: storedLists(),
});

let told = false;
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  told = line.trim() === "subscribe";
  if (told) break;
}
lines.close();
if (!told) fail('stdin ended without "subscribe"');

const until = new Set(options.until);
const messages = [];
let streaming;
await new Promise((resolve, reject) => {
  streaming = client
    .subscribe({ query: STREAM, variables: { after: all.pageInfo.endCursor } })
    .subscribe({
      next: (result) => {
        if (result.error) {
          reject(result.error);
          return;
        }
        const message = result.data[field];
        if (messages.length === 0) emit("subscribed");
        messages.push(message);
        until.delete(message.value?.id);
        if (until.size === 0) resolve();
      },
      error: reject,
      complete: () => reject(new Error("the subscription completed")),
    });
});
streaming.unsubscribe();
emit("streamed", { messages });

client.stop();
await wsClient.dispose();
process.exit(0);
