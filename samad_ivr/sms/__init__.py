"""Outbox worker, SMS providers, delivery reports and inbound SMS."""
