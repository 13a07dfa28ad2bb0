"""Async integration: the outbox relay, the database and RabbitMQ transports, consumers
(webhooks, exports, live fan-out), dead letters, the adjustment scheduler and metrics."""
