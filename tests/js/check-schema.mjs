// What a frontend team's GraphQL codegen does with the gateway's SDL (`kafka-graphql schema`):
// validate the Apollo test's documents against it, generate TypeScript types for them and compile
// code that uses those types.
//
//   node check-schema.mjs SDL_FILE FIELD TYPE
//
// Prints one JSON line ({operations, typescript}) and exits 0, or prints why and exits 1.

import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { codegen } from "@graphql-codegen/core";
import * as operations from "@graphql-codegen/typescript-operations";
import { buildSchema, parse, validate } from "graphql";

import { documents } from "./documents.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const [sdlFile, field, type] = process.argv.slice(2);
if (!type) {
  console.error("usage: node check-schema.mjs SDL_FILE FIELD TYPE");
  process.exit(2);
}

const sdl = await readFile(sdlFile, "utf8");
const schema = buildSchema(sdl);
const parsed = Object.values(documents({ field, type })).map((text) => parse(text));
const invalid = parsed.flatMap((document) => validate(schema, document).map(String));
if (invalid.length) {
  console.error(`documents do not validate against the SDL:\n${invalid.join("\n")}`);
  process.exit(1);
}

const generated = await codegen({
  schema: parse(sdl),
  schemaAst: schema,
  documents: parsed.map((document) => ({ document })),
  filename: "generated.ts",
  plugins: [{ "typescript-operations": {} }],
  pluginMap: { "typescript-operations": operations },
  config: {
    scalars: { Cursor: "string", Long: "number", DateTime: "string", JSON: "unknown" },
  },
});

// Code that uses the generated types the way the Apollo test reads its results. The
// @ts-expect-error lines prove the types are precise: a value is null when a record does not
// decode, and a status is one of the schema's enum values.
const usage = `import type { ${type}PageQuery, ${type}PageQueryVariables, ${type}StreamSubscription,
  ${type}Where } from "./generated.ts";

const where: ${type}Where = { status: { in: ["PAID", "SHIPPED"] } };
export const variables: ${type}PageQueryVariables = { first: 7, after: null, where };

export function ids(page: ${type}PageQuery): string[] {
  return page.${field}.edges.map((edge) => edge.node.value?.id ?? edge.node.cursor);
}

export function next(page: ${type}PageQuery): string | null | undefined {
  return page.${field}.pageInfo.hasNextPage ? page.${field}.pageInfo.endCursor : null;
}

export function offset(message: ${type}StreamSubscription): number {
  return message.${field}.offset + message.${field}.schemaErrors.length;
}

export function unchecked(page: ${type}PageQuery): string {
  // @ts-expect-error value is null for a record that does not decode
  return page.${field}.edges[0].node.value.id;
}

type Status = NonNullable<${type}StreamSubscription["${field}"]["value"]>["status"];
// @ts-expect-error not a value of the status enum
export const lost: Status = "LOST";
`;

const scratch = await mkdtemp(join(tmpdir(), "kafka-graphql-codegen-"));
try {
  await writeFile(join(scratch, "generated.ts"), generated);
  await writeFile(join(scratch, "usage.ts"), usage);
  const tsc = join(here, "node_modules", ".bin", "tsc");
  const flags = ["--noEmit", "--strict", "--allowImportingTsExtensions", "--skipLibCheck"];
  const target = ["--module", "nodenext", "--target", "es2022", "--types", ""];
  try {
    await promisify(execFile)(tsc, [...flags, ...target, join(scratch, "usage.ts")], {
      timeout: 60_000,
    });
  } catch (error) {
    console.error(`the generated types do not compile:\n${error.stdout}${error.stderr}`);
    process.exit(1);
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}

const names = parsed.map((document) => document.definitions[0].name.value);
process.stdout.write(`${JSON.stringify({ operations: names, typescript: "ok" })}\n`);
