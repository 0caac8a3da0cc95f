"""Typed topics: a topic's value schema -> a neutral type model, value validation and codecs."""
