"""I/O at the edges of the pipeline: files, Kafka, Elasticsearch and the local servers."""
