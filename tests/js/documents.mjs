// The GraphQL documents the Apollo Client test sends, for a typed topic with root field `field`
// and value type `type` (e.g. "orders" and "Order"). check-schema.mjs validates exactly these
// against the gateway's SDL and generates TypeScript types from them, as GraphQL codegen would.

// Fields of tests/fixtures/schemas/order.schema.json, the schema the test's topic has.
const VALUE = "id status quantity placedAt customer { name } items { sku count }";

export function documents({ field, type }) {
  return {
    page: `query ${type}Page($first: Int, $after: Cursor, $fromOffset: Long, $where: ${type}Where,
    $partitions: [Int!]) {
  ${field}(first: $first, after: $after, fromOffset: $fromOffset, where: $where,
      partitions: $partitions) {
    edges { cursor node { partition offset cursor value { ${VALUE} } schemaErrors } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`,
    stream: `subscription ${type}Stream($after: Cursor) {
  ${field}(after: $after) { partition offset cursor value { ${VALUE} } schemaErrors }
}`,
  };
}
