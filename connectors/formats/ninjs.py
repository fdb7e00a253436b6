"""IPTC ninjs 1.x, 2.x and 3.x (JSON) to RawArticle."""
