"""wiredesk: streaming ingestion of news wire feeds. `wiredesk.pipeline` (the folder pipeline/) holds the pure
stages, `wiredesk.connectors` (the folder connectors/) everything that does I/O; this folder only names them."""
