"""The schema registry's one client (a Confluent-compatible API over HTTP), and the loading of
typed topics at start-up that needs it. The core sees a registry only as the protocol in
core/typed/registered.py."""
