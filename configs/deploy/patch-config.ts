/**
 * patch-config applies the model order that provwatch keeps in SSM to an
 * OpenClaw config, at the start of the OpenClaw container:
 *
 *   OPENCLAW_MODEL_ORDER='{"primary":"…","fallbacks":["…"]}' node patch-config.js [openclaw.json]
 *
 * ECS injects OPENCLAW_MODEL_ORDER from the order parameter as a task secret.
 * The config path defaults to $OPENCLAW_CONFIG_PATH, then ~/.openclaw/openclaw.json.
 * Unset or empty OPENCLAW_MODEL_ORDER: nothing changes (exit 0), so a first
 * start before provwatch ever ran keeps the configured order. An order or
 * config that cannot be used: exit 1, file untouched.
 *
 * The file is read as JSON5 (as OpenClaw reads it) and written back as plain
 * JSON, so comments are not kept: point it at the copy the container renders
 * at start, not at a hand-edited source of truth.
 */
import { readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import JSON5 from "json5";

/** The value provwatch writes: exactly OpenClaw's agents.defaults.model shape. */
export interface ModelOrder {
  primary: string;
  fallbacks: string[];
}

/** The environment variable the order arrives in. */
export const ORDER_ENV = "OPENCLAW_MODEL_ORDER";

type JSONObject = Record<string, unknown>;

function isObject(v: unknown): v is JSONObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// A ref is provider/model, split on the first "/": both parts non-empty.
function isRef(v: unknown): v is string {
  if (typeof v !== "string") return false;
  const i = v.indexOf("/");
  return i > 0 && i < v.length - 1 && v.trim() === v;
}

/** Parses and checks the order JSON; the error says which field is wrong. */
export function parseOrder(raw: string): ModelOrder {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new Error(`${ORDER_ENV} is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(v)) {
    throw new Error(`${ORDER_ENV} must be an object {"primary": …, "fallbacks": […]}`);
  }
  if (!isRef(v.primary)) {
    throw new Error(`${ORDER_ENV}.primary must be a "provider/model" string`);
  }
  if (!Array.isArray(v.fallbacks)) {
    throw new Error(`${ORDER_ENV}.fallbacks must be an array of "provider/model" strings`);
  }
  const bad = v.fallbacks.findIndex((f) => !isRef(f));
  if (bad >= 0) {
    throw new Error(`${ORDER_ENV}.fallbacks[${bad}] must be a "provider/model" string`);
  }
  return { primary: v.primary, fallbacks: [...(v.fallbacks as string[])] };
}

// objectAt returns config[key], creating an empty object when it is absent.
function objectAt(parent: JSONObject, key: string, path: string): JSONObject {
  const v = parent[key];
  if (v === undefined) {
    const created: JSONObject = {};
    parent[key] = created;
    return created;
  }
  if (!isObject(v)) throw new Error(`${path} is not an object`);
  return v;
}

/**
 * Sets agents.defaults.model to the order. When agents.defaults.models (the
 * allowlist) is non-empty, every ref of the order is added to it as `{}`:
 * OpenClaw 2026.2.13 silently drops fallbacks that the allowlist lacks.
 * Returns the refs it added to the allowlist.
 */
export function applyOrder(config: JSONObject, order: ModelOrder): string[] {
  const defaults = objectAt(objectAt(config, "agents", "agents"), "defaults", "agents.defaults");
  defaults.model = { primary: order.primary, fallbacks: [...order.fallbacks] };

  const models = defaults.models;
  if (models === undefined) return [];
  if (!isObject(models)) throw new Error("agents.defaults.models is not an object");
  if (Object.keys(models).length === 0) return []; // empty: no allowlist in force

  const added: string[] = [];
  for (const ref of [order.primary, ...order.fallbacks]) {
    if (!Object.hasOwn(models, ref)) {
      models[ref] = {};
      added.push(ref);
    }
  }
  return added;
}

/** Reads the config at path, applies the order and writes it back atomically. */
export function patchConfigFile(path: string, rawOrder: string): string[] {
  const order = parseOrder(rawOrder);
  const config: unknown = JSON5.parse(readFileSync(path, "utf8"));
  if (!isObject(config)) throw new Error("the config is not a JSON5 object");
  const added = applyOrder(config, order);

  // Same directory, then rename: OpenClaw never sees a half-written file.
  const tmp = `${path}.patch-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(config, null, 2) + "\n", { mode: statSync(path).mode & 0o777 });
  renameSync(tmp, path);
  return added;
}

/** The command line: returns the exit status. */
export function main(args: string[], env: NodeJS.ProcessEnv): number {
  const path = args[0] ?? env.OPENCLAW_CONFIG_PATH ?? join(homedir(), ".openclaw", "openclaw.json");
  const raw = env[ORDER_ENV]?.trim() ?? "";
  if (raw === "") {
    console.error(`patch-config: ${ORDER_ENV} is empty; keeping the configured order in ${path}`);
    return 0;
  }
  try {
    const added = patchConfigFile(path, raw);
    const note = added.length > 0 ? `; added to agents.defaults.models: ${added.join(", ")}` : "";
    console.error(`patch-config: ${path}: agents.defaults.model = ${raw}${note}`);
    return 0;
  } catch (e) {
    console.error(`patch-config: ${path}: ${(e as Error).message}; the file is unchanged`);
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(main(process.argv.slice(2), process.env));
}
