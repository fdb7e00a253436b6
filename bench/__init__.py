"""`make bench` / `python -m bench`: how fast wiredesk is and where the time goes, on this machine.

One run measures, in order: the in-process stages (clean, dedup with growing and synthetic windows, NER on one
and two processes, index), a cProfile of the worker's pure path, the raw limits of the local broker and search
server, the pipeline end to end through the real local servers (saturated and paced at 10 articles/s), and a
naive single-consumer baseline on the same articles. It prints a table and writes JSON under bench/results/.
"""
