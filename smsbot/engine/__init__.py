"""The pure survey engine: flow definitions, reply parsing, conditions and the runtime.

Nothing in this package does I/O, reads the clock or makes ids: callers pass them in.
"""
