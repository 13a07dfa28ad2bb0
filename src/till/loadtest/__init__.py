"""A load generator that behaves like real tills (`till loadtest`)."""
