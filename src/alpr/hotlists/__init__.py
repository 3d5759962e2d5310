"""Hot lists (stolen vehicles, Amber alerts, BOLOs), their imports, matching and alerts."""
