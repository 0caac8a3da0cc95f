"""For development only (`make run`, the demo): the start-up banner, development tokens and
cursor key under `.dev/`, and seeding the demo's schema registry subject."""
