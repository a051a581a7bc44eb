"""Ingest: OTLP/HTTP in, decoded, scrubbed of personal data, converted to rows, queued."""
