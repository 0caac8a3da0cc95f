// The demo page: live orders from a filtered subscription (graphql-transport-ws, written out
// here so that the page needs no library), a form that produces through `produceOrder`, its
// field errors next to the fields, and reconnection that resumes after the last cursor.
"use strict";

const config = JSON.parse(document.getElementById("config").textContent);
const GRAPHQL = new URL("/graphql", window.location.href);
const SUBSCRIBE = `subscription LiveOrders($after: Cursor, $since: DateTime, $where: OrderWhere) {
  orders(after: $after, fromTimestamp: $since, where: $where) {
    partition offset cursor
    value { id status total currency customer { name email } }
  }
}`;
const PRODUCE = `mutation ProduceOrder($key: String!, $value: OrderInput!) {
  produceOrder(key: $key, value: $value) { partition offset }
}`;
const $ = (selector) => document.querySelector(selector);

let token = config.token ?? sessionStorage.getItem("kafka-graphql-token");
let lastCursor = null; // the last order shown: a reconnection resumes after it
let socket = null;
// Replays the last minute first, so an order written while the page loads is not missed.
const since = new Date(Date.now() - 60_000).toISOString();

function status(state, text) {
  $("#status").dataset.state = state;
  $("#status").textContent = text;
}

function subscribe() {
  const filter = $("#filter").value;
  const variables = {
    after: lastCursor,
    since: lastCursor ? null : since,
    where: filter ? { status: { eq: filter } } : null,
  };
  const ws = new WebSocket(GRAPHQL.href.replace(/^http/, "ws"), "graphql-transport-ws");
  socket = ws;
  ws.onopen = () =>
    ws.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${token}` } }));
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "connection_ack") {
      ws.send(JSON.stringify({ id: "orders", type: "subscribe", payload: { query: SUBSCRIBE, variables } }));
      status("live", "live");
    } else if (message.type === "ping") {
      ws.send(JSON.stringify({ type: "pong" }));
    } else if (message.type === "next" && message.payload.data) {
      show(message.payload.data.orders);
    } else if (message.type === "next" || message.type === "error") {
      const errors = message.payload.errors ?? message.payload;
      status("error", errors.map((e) => e.message).join("; "));
    }
  };
  ws.onclose = (event) => {
    if (socket !== ws) return; // replaced on purpose (a new filter)
    if (event.code === 4403 || event.code === 4401) {
      status("error", `refused: ${event.reason || event.code}`);
      return;
    }
    const status_ = $("#status");
    status_.dataset.reconnects = String(Number(status_.dataset.reconnects) + 1);
    status("reconnecting", "reconnecting…");
    setTimeout(subscribe, 500);
  };
}

function show(message) {
  lastCursor = message.cursor;
  const { value } = message;
  const item = document.createElement("li");
  item.dataset.id = value.id;
  item.dataset.position = `${message.partition}:${message.offset}`;
  const email = document.createElement("span");
  email.className = value.customer.email === null ? "masked" : "email";
  email.textContent = value.customer.email === null ? "email: null" : value.customer.email;
  item.append(
    `${value.id} · ${value.status} · ${value.total} ${value.currency} · ${value.customer.name} · `,
    email,
  );
  $("#orders").prepend(item);
}

async function produce(event) {
  event.preventDefault();
  const form = event.target;
  const field = (name) => form.elements[name].value;
  for (const error of form.querySelectorAll(".error")) error.textContent = "";
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  const quantity = Number(field("items.0.quantity"));
  const unitPrice = Number(field("items.0.unitPrice"));
  const value = {
    id: field("id"),
    placedAt: new Date().toISOString(),
    status: field("status"),
    total: quantity * unitPrice,
    currency: "EUR",
    customer: { id: `c-${field("id")}`, name: field("customer.name"), email: field("customer.email") || null },
    items: [{ sku: field("items.0.sku"), quantity, unitPrice }],
  };
  const response = await fetch(GRAPHQL, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: PRODUCE, variables: { key: value.id, value } }),
  });
  const body = await response.json();
  if (body.errors) {
    for (const error of body.errors) {
      const path = (error.extensions?.path ?? []).join(".");
      const where = form.querySelector(`.error[data-for="${CSS.escape(path)}"]`) ?? form.querySelector('.error[data-for=""]');
      where.textContent = error.message;
      form.elements[path]?.setAttribute("aria-invalid", "true");
    }
    $("#produced").textContent = "";
    return;
  }
  const { partition, offset } = body.data.produceOrder;
  $("#produced").textContent = `written to partition ${partition} at offset ${offset}`;
  // The next order number, so that the form can be sent again as it is.
  form.elements.id.value = field("id").replace(/\d+$/, (n) => String(Number(n) + 1));
}

function start() {
  $("#order-form").addEventListener("submit", produce);
  $("#filter").addEventListener("change", () => {
    lastCursor = null;
    $("#orders").replaceChildren();
    socket?.close();
    subscribe();
  });
  subscribe();
}

if (token) {
  start();
} else {
  status("waiting", "a token is needed");
  $("#token-form").hidden = false;
  $("#token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    token = event.target.elements.token.value.trim();
    sessionStorage.setItem("kafka-graphql-token", token);
    $("#token-form").hidden = true;
    start();
  });
}
