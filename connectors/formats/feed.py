"""RSS 0.9x/1.0/2.0 and Atom documents (a dropped file, or a polled feed) to RawArticle."""
