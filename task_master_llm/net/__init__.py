"""Outbound HTTP shared by the adapters and the Talon client: settings, the base-URL
policy, the requests transport, redaction of secrets in foreign text, and the one
classifier of network failures."""
