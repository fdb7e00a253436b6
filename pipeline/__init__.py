"""wiredesk: streaming ingestion of news wire feeds (clean, dedup, enrich, index, alert)."""
