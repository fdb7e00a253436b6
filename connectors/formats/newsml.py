"""IPTC NewsML-G2 newsItem / newsMessage (XML, NITF or XHTML inlineXML bodies) to RawArticle."""
