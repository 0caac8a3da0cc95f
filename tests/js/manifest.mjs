// Apollo's persisted-query manifest of the client documents (documents.mjs), as
// @apollo/generate-persisted-query-manifest writes it: each body as Apollo Client sends it (its
// cache's transform adds __typename), its id the SHA-256 of that body. Driven by
// tests/integration/test_persisted_queries.py.
//
//   node manifest.mjs '{"field": "orders", "type": "Order"}'   (the manifest on stdout)

import { createHash } from "node:crypto";

import { InMemoryCache } from "@apollo/client";
import { print } from "@apollo/client/utilities";
import { parse } from "graphql";

import { documents } from "./documents.mjs";

const cache = new InMemoryCache();
const operations = Object.values(documents(JSON.parse(process.argv[2]))).map((text) => {
  const document = cache.transformDocument(parse(text));
  const [definition] = document.definitions;
  const body = print(document);
  return {
    id: createHash("sha256").update(body).digest("hex"),
    body,
    name: definition.name.value,
    type: definition.operation,
  };
});
process.stdout.write(
  JSON.stringify({ format: "apollo-persisted-query-manifest", version: 1, operations }),
);
