"""Traffic generator: realistic telemetry of the sample club apps (``vigie loadgen``).

catalog (apps, routes) → scenarios (what goes wrong, when) → model (one request as spans and
logs) → traffic (arrivals in time order); two emitters translate the same shapes: live (the OTel
SDK and its OTLP/HTTP exporters) and history (OTLP protobuf in bulk, POSTed to the receiver).
"""
