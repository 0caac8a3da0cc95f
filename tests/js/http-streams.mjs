// Subscriptions over HTTP streams from real clients: the official graphql-sse client (distinct
// connections mode) and Apollo Client's HttpLink (multipart subscriptions). Driven by
// tests/integration/test_http_stream_clients.py.
//
//   node http-streams.mjs '{"client": "graphql-sse" | "apollo", "url": ..., "token": ...,
//                           "query": ..., "variables": {...}}'
//
// Stdout carries only JSON lines, each with an "event":
//   next      {"result": ...}: one result as the client hands it over
//   error     {"message": ..., "codes": [...]}: the client's error (Apollo: its protocol errors)
//   complete  the server ended the subscription
// Anything else goes to stderr. A failure of the script itself exits non-zero.

import { ApolloClient, HttpLink, InMemoryCache } from "@apollo/client";
import { CombinedProtocolErrors } from "@apollo/client/errors";
import { parse } from "graphql";
import { createClient } from "graphql-sse";

const TIMEOUT_MS = 60_000;

for (const method of ["log", "info", "debug", "warn"]) console[method] = console.error;
setTimeout(() => fail(`timed out after ${TIMEOUT_MS} ms`), TIMEOUT_MS).unref();

const options = JSON.parse(process.argv[2]);
const headers = options.token ? { Authorization: `Bearer ${options.token}` } : {};

function emit(event, body = {}) {
  process.stdout.write(`${JSON.stringify({ event, ...body })}\n`);
}

function fail(message) {
  console.error(`http-streams: ${message}`);
  process.exit(1);
}

function codes(errors) {
  return (errors ?? []).map((error) => error.extensions?.code);
}

function end() {
  // Let stdout drain before leaving.
  process.stdout.write("", () => process.exit(0));
}

if (options.client === "graphql-sse") {
  const client = createClient({ url: options.url, headers, retryAttempts: 0 });
  client.subscribe(
    { query: options.query, variables: options.variables },
    {
      next: (result) => emit("next", { result }),
      error: (error) => {
        emit("error", { message: String(error?.message ?? error), codes: [] });
        end();
      },
      complete: () => {
        emit("complete");
        client.dispose();
        end();
      },
    },
  );
} else if (options.client === "apollo") {
  const client = new ApolloClient({
    link: new HttpLink({ uri: options.url, headers }),
    cache: new InMemoryCache(),
  });
  client.subscribe({ query: parse(options.query), variables: options.variables }).subscribe({
    next: ({ data, error }) => {
      const protocol = CombinedProtocolErrors.is(error) ? error.errors : [];
      emit("next", { result: { data, error: error?.message, codes: codes(protocol) } });
    },
    error: (error) => {
      const protocol = CombinedProtocolErrors.is(error) ? error.errors : [];
      emit("error", { message: String(error?.message ?? error), codes: codes(protocol) });
      end();
    },
    complete: () => {
      emit("complete");
      end();
    },
  });
} else {
  fail(`unknown client ${options.client}`);
}
