"""The offline writer: a multi-source news story built from the sources' own sentences.

The method, step by step:

1. Units. Each source is split into sentences (`aibot.support.text.sentences`), datelines ("LIMA
   (Reuters) -") and a gallery's controls ("1 of 10 Full Screen Autoplay…") dropped. A sentence that
   leans on the one before - it opens with a pronoun or connective ("He said…", "But…", "Others…"),
   names its speaker only as "he"/"she", or carries on a quotation - is joined to it, so that no
   pronoun loses its antecedent and no quotation is cut. A unit is a sentence alone or with the
   sentences that lean on it; units with an unbalanced or unattributed quotation, links or share
   buttons, or no closing punctuation are left out, as is every sentence that is page furniture or
   junk text (`aibot.collect.junk`: "Image caption …", "Add X as an interest…", a cookie
   notice) or a teaser cut short with an ellipsis; a source headline that is one is passed over
   for another. A source that is a junk page (an archive notice, a tweet widget, an error page)
   gives nothing, unless every source is one.
2. Salience. A unit's prior is its TF-IDF cosine with the story's centroid - the mean of the
   sources' own centroids, each weighted by how much it agrees with the other sources, so a long
   article does not outvote a short one and a stray page counts little - plus a bonus for an
   article's first sentences, where news puts its facts, and one that falls off over the whole
   article (the share of the article after the sentence), so the first third of a long report
   counts more than its last paragraphs. Its relevance adds the weight per word
   of the story's concepts it holds: content words and pairs of them, each weighing the number of
   sources that use it, so a fact several outlets report counts more.
3. Selection. The lede is the most central opening sentence. The rest are picked greedily by
   maximal marginal relevance: prior plus the weight of concepts not yet covered, minus the
   similarity to what is chosen. A unit is skipped when it repeats a chosen one (cosine at least
   REDUNDANT: two outlets saying the same thing), when it is another outlet's opening sentence
   that adds little to what is chosen, or when it gives only figures already given (1,150 homes
   after 1,200) and little else. Picking stops past the lower bound of `target_words` when the
   next unit is worth less than EXTEND_RATIO of an average pick, and never passes the upper
   bound; when the sources run out of new facts before the lower bound, the skipped retellings
   may fill up to it. Making the sentences stand alone (step 7) may drop some of them; when what
   is left falls short of the lower bound, the picking goes on with both bounds raised by the
   words dropped.
4. Sections, in story order (`aibot.write.order`). The chosen units are grouped into
   sub-topics (about one per WORDS_PER_SECTION words) by average-linkage clustering on a
   second-order similarity - two sentences are alike when they resemble the same sentences of
   the sources. Every unit that tells the event at a stated time joins the lede's group; the
   lede's group comes first, the others by their kinds of sentence (details, then quotations,
   reactions, background, outlook) and their best unit's rank. Within a group: the lede, then
   the events by the time they name, then the rest by publication time and position in the
   source, so that a quotation stays beside the facts it comments on. The lede's section has no
   heading (the headline stands above it); every other heading is a short phrase from the
   section's most central sentence (`aibot.write.headings`), and a group that gives none
   carries on the section before it.
5. Paragraphs are consecutive units of one article, up to MAX_PARAGRAPH_UNITS; the lede stands
   alone. Each paragraph cites the article its sentences come from, so a quotation is always
   credited to the outlet that reported it, and a claim no other outlet corroborates names that
   outlet ("…, The Ledger Daily reported"; `aibot.write.attribution`), its words counted in the
   length.
6. Headline and summary (`aibot.write.headline`): the most central source headline that speaks
   for the whole story, or else the lede's main clause; the summary is another outlet's opening
   sentence that the draft does not use, or else the lede's main clause - never the lede again.
7. Standing alone (`aibot.write.standalone`): units whose relative time words name no single
   day are left out before selection, and every unit is sized as it will read. In the post, in
   reading order, relative time words become the day they mean in the site's time zone
   ("today" -> "on Monday 23 November"), an outlet's words for itself become its name, a person
   is named in full once and by surname after, and a sentence is dropped when its connective,
   "The plant…" or "The move…" refers to nothing kept before it, or it repeats an earlier one;
   a heading whose words went with dropped sentences goes. The summary is never furniture.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from aibot.collect.junk import is_furniture, junk_reason, without_widget
from aibot.models import Article, Draft, Paragraph, Section, Story
from aibot.support.text import STOPWORDS, sentences, words
from aibot.support.vectors import cosine, normalise, tfidf
from aibot.write.attribution import attributed, is_claim
from aibot.write.headings import heading
from aibot.write.headline import clean_headline, headline, summary
from aibot.write.order import EVENT, event_time, kind
from aibot.write.standalone import named_outlet, posted_size, resolve_time, standalone

__all__ = ["ExtractiveWriter", "clean_headline", "scored_units", "select", "sections"]

TARGET_WORDS = (250, 400)
# How many times the picking goes on when the sentences that stand alone fall short of the target.
REFILLS = 2
MIN_UNIT_WORDS = 8
MAX_UNIT_WORDS = 80
MAX_JOINED = 3  # sentences in one unit
MMR_LAMBDA = 0.7
REDUNDANT = 0.4  # cosine at which a unit repeats a chosen one
# Another outlet's opening sentence must bring this share of new (weighted) concepts.
MIN_LEAD_NOVELTY = 0.5
KNOWN_FIGURES_NOVELTY = 0.6  # a unit whose figures are all given must add this much else
SAME_FIGURE = 0.1  # relative difference within which two figures tell the same fact
CONCEPT_WEIGHT = 1.0
BIGRAM_WEIGHT = 2.0
LEAD_BONUS = (0.35, 0.35, 0.1, 0.1, 0.1)  # by sentence position in the article
# Times the share of its article that follows a sentence: news tells the main facts first.
POSITION_WEIGHT = 0.2
LEDE_POSITIONS = 2  # the lede is one of each article's first sentences
LEDE_MIN_WORDS = 15
# A source agreeing with the others at least this share of the best one gets the full bonus.
TRUSTED_SHARE = 0.5
# Other sources' opening sentences mostly restate the lede: they must earn their place.
RESTATED_LEAD_PENALTY = 0.15
# Past the lower bound of the target, a unit must be worth this share of the average pick.
EXTEND_RATIO = 0.8
WORDS_PER_SECTION = 100
MAX_SECTIONS = 4
MIN_SECTION_UNITS = 2
GROUP_SIZE_PENALTY = 0.3
CORROBORATED = 0.4  # cosine at which another outlet's sentence backs a claim
MAX_PARAGRAPH_UNITS = 3
MAX_PARAGRAPH_WORDS = 90

_LEANS = re.compile(
    r"^[\"“‘']?(he|she|they|it|its|his|her|their|them|this|that|these|those|but|and|or|nor|"
    r"however|also|meanwhile|still|yet|so|then|there|here|such|instead|otherwise|too|"
    r"moreover|furthermore|besides|nevertheless|nonetheless|thus|hence|therefore|likewise|"
    r"similarly|indeed|again|later|afterwards|the former|the latter|both|neither|either|others|"
    r"another|the other|the same|(?:two|three|four|five|six|seven|eight|nine|ten) (?:of them|"
    r"\w+ed)|the (?:company|firm|spokesman|spokeswoman|official|couple|man|woman|boy|girl|"
    r"victim|suspect|striker|player|pair|duo|actor|actress|singer|star))\b",
    re.I,
)
_ATTRIBUTION = re.compile(
    r"\b(said|says|told|tells|added|adds|according|warned|wrote|writes|asked|argued|noted|"
    r"explained|described|called|insisted|acknowledged|admitted|stated|declared|recalled|"
    r"replied|continued|tweeted|posted|announced|claimed|urged|cautioned|conceded|joked|"
    r"quipped|reported|reports)\b",
    re.I,
)
_PRONOUN_SPEAKER = re.compile(
    r"\b(?:(?:he|she|they|it)\s+(?:\w+\s+)?(?:said|says|told|tells|added|adds|wrote|writes|"
    r"asked|argued|noted|explained|insisted|recalled|replied|continued)|"
    r"(?:said|says|added|adds|wrote|asked|continued)\s+(?:he|she|they))\b",
    re.I,
)
# "LIMA, Dec 1 (Reuters) - ", "CAIRO — ": a place in capitals, a date, an agency, a dash.
_DATELINE = re.compile(
    r"^[A-Z][A-Z.'’/-]+(?:\s+[A-Z][A-Z.'’/-]+){0,3}(?:,\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2})?"
    r"(?:\s*\([^)]{1,40}\))?\s*(?:[-–—]+|:)\s*(?=[A-Z“\"])"
    # or an agency's or outlet's name alone in brackets: "(CNN) It was…", "(AP) — The…"
    r"|^\([A-Z][A-Za-z.&' ]{0,30}\)\s*(?:[-–—]+\s*)?(?=[A-Z“\"])"
)
_JUNK = re.compile(
    r"https?://|www\.|@\w|©|\b(?:click here|click to|share on|opens? in (?:a )?new window|"
    r"sign up|subscribe|newsletter|cookies?|advertisement|all rights reserved|read more|"
    r"getty images|image (?:copyright|caption)|file photo|ap photo|photo credit|pinterest|"
    r"facebook twitter)\b",
    re.I,
)
_CUT = re.compile(r"(?:\.\.\.|…)[\"”’')\]]*$")
_TERMINAL = (".", "!", "?", '"', "”", "’", "'", ")")
_FIGURE = re.compile(
    r"(?<![\w.])(\d+(?:,\d{3})*(?:\.\d+)?)\s*(billion|bn|million|mn|m|thousand|k|trillion)?\b", re.I
)
_SCALE = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9,
          "bn": 1e9, "trillion": 1e12}  # fmt: skip
_SPELLED = {
    **{w: n for n, w in enumerate("zero one two three four five six seven eight nine ten eleven "
       "twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split())},
    **{w: 10 * n for n, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety"
       .split(), 2)},
}  # fmt: skip
_SPELLED_FIGURE = re.compile(
    r"\b(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[-\s](?:one|two|three|"
    r"four|five|six|seven|eight|nine))?|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)\b"
)
_FRACTION = re.compile(r"\b(?:a|one) quarter\b|\bhalf (?:a|of a) (?:point|per ?cent|percentage)")


@dataclass
class _Unit:
    """One or more consecutive sentences of one article that can stand on their own."""

    text: str
    article: Article
    position: int  # index of its first sentence within the article
    length: int  # sentences
    size: int = 0  # words
    credit: int = 0  # words naming the outlet whose claim it is (see attribution)
    vector: dict[str, float] = field(default_factory=dict)
    concepts: frozenset[str] = frozenset()
    numbers: frozenset[float] = frozenset()
    centrality: float = 0.0
    prior: float = 0.0  # centrality and lead bonus
    relevance: float = 0.0  # prior and concept density

    def order(self) -> tuple:
        return (self.article.when, self.article.id, self.position)

    def overlaps(self, other: _Unit) -> bool:
        """Shares a sentence with `other` (a sentence alone and with its followers do)."""
        return (
            self.article is other.article
            and self.position < other.position + other.length
            and other.position < self.position + self.length
        )


class ExtractiveWriter:
    """Writes a Draft from the sources' sentences; no network, no model."""

    name = "extractive"
    model = ""

    def __init__(
        self,
        target_words: int | Sequence[int] = TARGET_WORDS,
        *,
        word_budget: int | None = None,
        timezone: str = "UTC",
    ) -> None:
        # word_budget: the earlier name of target_words, kept for callers that use it.
        self.target_words = word_range(word_budget if word_budget is not None else target_words)
        self.timezone = timezone  # the site's: relative time words are resolved in it

    @property
    def word_budget(self) -> int:
        return self.target_words[1]

    def write(self, story: Story, articles: Sequence[Article]) -> Draft:
        if not articles:
            raise ValueError(f"story {story.id} has no articles to write from")
        sources = news_sources(sorted(articles, key=lambda a: (a.when, a.id)))
        units, centroid = scored_units(sources)
        chosen, body = self._chosen_and_body(_timed(units, self.timezone), units, sources)
        lede = body[0].paragraphs[0].text if body else _fallback(sources).text
        return Draft(
            title=headline(sources, centroid, lede),
            summary=_summary(chosen, units, lede, self.timezone) if chosen else lede,
            sections=body or _brief(sources),
            tags=_tags(sources),
            writer=self.name,
            model=self.model,
        )

    def _chosen_and_body(
        self, timed: Sequence[_Unit], units: Sequence[_Unit], sources: Sequence[Article]
    ) -> tuple[list[_Unit], list[Section]]:
        """The units chosen and the sections they read as. Making each sentence stand alone
        drops some words (a repeat, a reference to nothing kept), so when the prose left falls
        short of the lower bound of `target_words`, the picking goes on with both bounds raised
        by the words dropped, up to REFILLS times, while the sources have more to give."""
        low, high = self.target_words
        chosen: list[_Unit] = []
        body: list[Section] = []
        for _ in range(REFILLS + 1):
            picked = select(timed, (low, high))
            if chosen and len(picked) <= len(chosen):
                break  # nothing more to pick
            chosen = picked
            body = standalone(sections(chosen, units), sources, self.timezone) if chosen else []
            written = sum(len(p.text.split()) for s in body for p in s.paragraphs)
            if written >= self.target_words[0]:
                break
            dropped = max(sum(u.size + u.credit for u in chosen) - written, 1)
            low, high = self.target_words[0] + dropped, self.target_words[1] + dropped
        return chosen, body


def news_sources(articles: Sequence[Article]) -> list[Article]:
    """The articles that are news, not junk pages (`aibot.collect.junk.junk_reason`: an error
    page, an archive notice, a widget). Collection drops those, but a caller of the writer may
    not have. When every article is junk, all of them, so that the story still gets a draft."""
    news = [a for a in articles if junk_reason(a.text or a.summary, a.title) is None]
    return news or list(articles)


def _timed(units: Sequence[_Unit], timezone: str) -> list[_Unit]:
    """The units whose relative time words resolve (`aibot.write.standalone`), sized as they
    will read."""
    out = []
    for unit in units:
        size = posted_size(unit.text, unit.article, timezone)
        if size is not None:
            unit.size = size
            out.append(unit)
    return out


def word_range(target: int | Sequence[int]) -> tuple[int, int]:
    """(at least, at most) words: a single number n means n to n + 10 %."""
    if isinstance(target, int):
        low, high = target, round(target * 1.1)
    else:
        values = [int(v) for v in target]
        if not values or len(values) > 2:
            raise ValueError(f"target_words: expected a number or (min, max), got {target!r}")
        low, high = (values[0], round(values[0] * 1.1)) if len(values) == 1 else values
    if not 0 < low <= high:
        raise ValueError(f"target_words: expected 0 < min <= max, got {target!r}")
    return low, high


# --- 1. units ------------------------------------------------------------------------------


def units_of(article: Article) -> list[_Unit]:
    """The article's usable units: each sentence alone, and with the sentences leaning on it."""
    groups: list[list[str]] = []
    starts: list[int] = []
    for position, sentence in enumerate(_sentences_of(article)):
        if groups and _leans_on_previous(sentence, groups[-1]):
            groups[-1].append(sentence)
        else:
            groups.append([sentence])
            starts.append(position)
    units = []
    for group, start in zip(groups, starts, strict=True):
        for length in range(1, min(len(group), MAX_JOINED) + 1):
            text = " ".join(group[:length])
            if _stands_alone(text, first=group[0]):
                units.append(_Unit(text, article, start, length, len(text.split())))
    return units


def _sentences_of(article: Article) -> Iterator[str]:
    body = article.text or article.summary
    for paragraph in body.split("\n"):
        found = sentences(_DATELINE.sub("", " ".join(paragraph.split()), count=1))
        yield from (s for s in map(without_widget, found) if s and not _is_junk(s))


def _is_junk(sentence: str) -> bool:
    """Page furniture or a line of a junk page (`is_furniture` says both), or a teaser cut short
    with an ellipsis ("Schumer says don't look for her in a Super Bowl...")."""
    return is_furniture(sentence) or bool(_CUT.search(sentence))


def _leans_on_previous(sentence: str, previous: list[str]) -> bool:
    if _open_quote(previous[-1]):
        return True  # "… ," he said after an unattributed quotation
    if _LEANS.match(sentence) or _PRONOUN_SPEAKER.search(sentence):
        return True
    return _has_quote(sentence) and not _ATTRIBUTION.search(sentence) and _has_quote(previous[-1])


def _open_quote(sentence: str) -> bool:
    """A quotation with no speaker in its own sentence: it needs the next one's attribution."""
    return _has_quote(sentence) and not _ATTRIBUTION.search(sentence) and sentence[:1] in '"“'


def _has_quote(text: str) -> bool:
    return bool(re.search(r"[\"“”]", text))


def _stands_alone(text: str, first: str) -> bool:
    size = len(text.split())
    if not MIN_UNIT_WORDS <= size <= MAX_UNIT_WORDS or not text.endswith(_TERMINAL):
        return False
    if _LEANS.match(first) or _PRONOUN_SPEAKER.search(first) or _JUNK.search(text):
        return False
    if text.count('"') % 2 or text.count("“") != text.count("”"):
        return False  # a quotation that runs on beyond the unit
    if _has_quote(text):
        return bool(_ATTRIBUTION.search(text)) and not _only_pronoun_speaker(text)
    return sum(c.isupper() for c in text) < len(text) / 3


def _only_pronoun_speaker(text: str) -> bool:
    return bool(_PRONOUN_SPEAKER.search(text)) and not _names_someone(text)


def _names_someone(text: str) -> bool:
    """A capitalised word in mid-sentence outside quotation marks: a name to hang a quote on."""
    outside = re.sub(r"[\"“][^\"”]*[\"”]", " , ", text)
    for match in re.finditer(r"\b[A-Z][a-z]+", outside):
        before = outside[: match.start()].rstrip()
        if before and before[-1] not in ".!?" and match.group(0).lower() not in STOPWORDS:
            return True
    return False


# --- 2. salience ---------------------------------------------------------------------------


def scored_units(sources: Sequence[Article]) -> tuple[list[_Unit], dict[str, float]]:
    """Every usable unit of the sources, scored; and the story's centroid."""
    units = [u for article in sources for u in units_of(article)]
    vectors = tfidf({str(i): Counter(words(u.text)) for i, u in enumerate(units)})
    for i, unit in enumerate(units):
        unit.vector = vectors[str(i)]
        unit.concepts = frozenset(_concepts(unit.text))
        unit.numbers = numbers_in(unit.text)
    own = [normalise(_source_terms(units, article)) for article in sources]
    agreement = _agreement(own)
    centroid = _centroid(own, agreement)
    trust = _trust(sources, agreement)
    weights = concept_weights(units)
    lengths = _article_lengths(units)
    for unit in units:
        lead = _lead_value(unit.position, lengths[unit.article.id])
        unit.centrality = cosine(unit.vector, centroid)
        unit.prior = unit.centrality + trust[unit.article.id] * lead
        unit.relevance = unit.prior + CONCEPT_WEIGHT * _density(unit, weights, set())
    _credit_claims(units)
    return units, centroid


def _lead_value(position: int, length: int) -> float:
    """The bonus of the sentence at `position` of an article of `length` sentences: a step for
    the opening sentences, and a slope over the whole article, so that the first third of a long
    article counts more than its last third however many sentences it has."""
    step = LEAD_BONUS[position] if position < len(LEAD_BONUS) else 0.0
    return step + POSITION_WEIGHT * (1 - position / length)


def _article_lengths(units: Sequence[_Unit]) -> dict[str, int]:
    """Per article id, its number of sentences (up to its last usable one)."""
    out: dict[str, int] = {}
    for unit in units:
        out[unit.article.id] = max(out.get(unit.article.id, 1), unit.position + unit.length)
    return out


def _concepts(text: str) -> Iterator[str]:
    tokens = words(text)
    yield from tokens
    yield from (f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))


def concept_weights(units: Sequence[_Unit]) -> dict[str, float]:
    """Each concept weighs the number of sources that use it (pairs count BIGRAM_WEIGHT times
    more; with one source, its uses), scaled so that the heaviest weighs 1; concepts of a
    single source (or used once) weigh nothing."""
    by_source: dict[str, set[str]] = {}
    uses: Counter[str] = Counter()
    for unit in units:
        by_source.setdefault(unit.article.id, set()).update(unit.concepts)
        uses.update(unit.concepts)
    spread: Counter[str] = Counter()
    for concepts in by_source.values():
        spread.update(concepts)
    counts = spread if len(by_source) > 1 else uses
    raw = {c: n * (BIGRAM_WEIGHT if " " in c else 1.0) for c, n in counts.items() if n >= 2}
    top = max(raw.values(), default=1.0)
    return {c: w / top for c, w in raw.items()}


def _centroid(own: Sequence[dict[str, float]], agreement: Sequence[float]) -> dict[str, float]:
    """The mean of the sources' centroids, each weighted by its agreement with the others."""
    total: Counter[str] = Counter()
    for vector, weight in zip(own, agreement, strict=True):
        total.update({t: w * weight for t, w in vector.items()})
    return normalise(total)


def _trust(sources: Sequence[Article], agreement: Sequence[float]) -> dict[str, float]:
    """Per article id, 1 for a source that agrees with the others about as well as the best
    does, less for one that shares little with them (a wrong page, a notice)."""
    top = max(agreement, default=0.0) or 1.0
    return {
        a.id: min(1.0, w / top / TRUSTED_SHARE) for a, w in zip(sources, agreement, strict=True)
    }


def _agreement(vectors: Sequence[dict[str, float]]) -> list[float]:
    """Each source vector's cosine with the sum of the others."""
    if len(vectors) < 2:
        return [1.0] * len(vectors)
    out = []
    for index, vector in enumerate(vectors):
        others: Counter[str] = Counter()
        for other in (*vectors[:index], *vectors[index + 1 :]):
            others.update(other)
        out.append(cosine(vector, normalise(others)))
    return out


def _source_terms(units: Sequence[_Unit], article: Article) -> Counter[str]:
    """The sum of an article's unit vectors, each sentence counted once (the longest unit
    starting at each sentence)."""
    longest: dict[int, _Unit] = {}
    for unit in units:
        held = longest.get(unit.position)
        if unit.article is article and (held is None or unit.length > held.length):
            longest[unit.position] = unit
    total: Counter[str] = Counter()
    for unit in longest.values():
        total.update(unit.vector)
    return total


def _density(unit: _Unit, weights: dict[str, float], covered: set[str]) -> float:
    """Weight of the concepts a unit adds to `covered`, per word (plus ten, so a short
    fragment does not win on density alone)."""
    # fsum: a sum over a set in the order its hashes give would differ in the last bit from one
    # process to the next, and a near tie between two units with it.
    added = math.fsum(weights.get(c, 0.0) for c in unit.concepts if c not in covered)
    return added / (unit.size + 10)


# --- 3. selection --------------------------------------------------------------------------


def select(units: Sequence[_Unit], target: tuple[int, int]) -> list[_Unit]:
    """The lede, then units by maximal marginal relevance until the target length."""
    low, high = target
    pool = sorted(units, key=lambda u: (-u.relevance, u.order()))
    if not pool:
        return []
    weights = concept_weights(units)
    lede = max(pool, key=_lede_value)
    pool.remove(lede)
    chosen = [lede]
    covered, stated, used = set(lede.concepts), set(lede.numbers), lede.size + lede.credit
    values: list[float] = []
    strict = True
    while pool:
        best, value = _best_next(pool, chosen, weights, covered, stated, high - used, strict)
        if best is None and strict and used < low:
            strict = False  # out of new facts below the minimum: retellings may fill up
            continue
        if best is None or (used >= low and value < EXTEND_RATIO * _mean(values, value)):
            break
        pool.remove(best)
        chosen.append(best)
        covered |= best.concepts
        stated |= best.numbers
        values.append(value)
        used += best.size + best.credit
    return chosen


def _mean(values: Sequence[float], default: float) -> float:
    return sum(values) / len(values) if values else default


def _lede_value(unit: _Unit) -> tuple[bool, float]:
    """A lede is one of an article's first sentences, long enough to say what happened; the
    most central of them."""
    opening = unit.position < LEDE_POSITIONS and unit.size >= LEDE_MIN_WORDS and unit.length == 1
    return (opening, unit.centrality + (LEAD_BONUS[unit.position] if opening else 0.0))


def _best_next(
    pool: Sequence[_Unit],
    chosen: Sequence[_Unit],
    weights: dict[str, float],
    covered: set[str],
    stated: set[float],
    room: int,
    strict: bool,
) -> tuple[_Unit | None, float]:
    """The unit of best marginal value that fits in `room` words and repeats nothing."""
    best, best_value = None, -math.inf
    for unit in pool:
        if unit.size + unit.credit > room or any(unit.overlaps(c) for c in chosen):
            continue
        overlap = max(cosine(unit.vector, c.vector) for c in chosen)
        if overlap >= REDUNDANT or (strict and _retells(unit, weights, covered, stated)):
            continue
        value = MMR_LAMBDA * _marginal(unit, weights, covered) - (1 - MMR_LAMBDA) * overlap
        if value > best_value:
            best, best_value = unit, value
    return best, best_value


def _marginal(unit: _Unit, weights: dict[str, float], covered: set[str]) -> float:
    """Prior plus the weight of concepts not covered yet; another outlet's opening sentence,
    which mostly retells the lede, must earn its place."""
    penalty = RESTATED_LEAD_PENALTY if unit.position == 0 else 0.0
    return unit.prior - penalty + CONCEPT_WEIGHT * _density(unit, weights, covered)


def _retells(unit: _Unit, weights: dict[str, float], covered: set[str], stated: set[float]) -> bool:
    """Tells what is chosen already: another outlet's opening sentence that adds few new
    concepts, or a unit whose figures are all given already ("More than 1,100 homes were
    evacuated" after "About 1,200 homes were evacuated") with little else new."""
    novelty = _novelty(unit, weights, covered)
    if unit.position == 0 and novelty < MIN_LEAD_NOVELTY:
        return True
    known = bool(unit.numbers) and all(_close_to_any(n, stated) for n in unit.numbers)
    return known and novelty < KNOWN_FIGURES_NOVELTY


def _close_to_any(number: float, stated: set[float]) -> bool:
    return any(abs(number - s) <= SAME_FIGURE * max(abs(number), abs(s)) for s in stated)


def numbers_in(text: str) -> frozenset[float]:
    """The figures a text gives, in digits or words, with their scale: "$12.5bn" and "12.5
    billion dollars" are both 12.5e9, "forty-one" is 41, "a quarter" 0.25."""
    found = set()
    for match in _FIGURE.finditer(text):
        digits, scale = match.group(1), (match.group(2) or "").lower()
        try:
            value = float(digits.replace(",", ""))
        except ValueError:
            continue
        found.add(value * _SCALE.get(scale, 1.0))
    for match in _SPELLED_FIGURE.finditer(text.lower()):
        parts = re.split(r"[-\s]+", match.group(0))
        found.add(float(sum(_SPELLED[p] for p in parts if p in _SPELLED)))
    for match in _FRACTION.finditer(text.lower()):
        found.add(0.25 if "quarter" in match.group(0) else 0.5)
    return frozenset(found)


def _novelty(unit: _Unit, weights: dict[str, float], covered: set[str]) -> float:
    """The share of a unit's weighted concepts not yet covered."""
    total = math.fsum(weights.get(c, 0.0) for c in unit.concepts)
    if not total:
        return 1.0
    return math.fsum(weights.get(c, 0.0) for c in unit.concepts if c not in covered) / total


# --- 4. sections ---------------------------------------------------------------------------


def sections(chosen: Sequence[_Unit], units: Sequence[_Unit]) -> list[Section]:
    """The lede's sub-topic first, with no heading (the headline stands above it), then the
    others in story order, each under a heading drawn from its own sentences; a group that
    gives no heading carries on the section before it."""
    if not chosen:
        return []
    claims = frozenset(id(u) for u in chosen if u.credit)
    out: list[Section] = []
    for index, group in enumerate(subtopics(chosen, units)):
        body = paragraphs(group, lede=chosen[0], claims=claims)
        title = "" if index == 0 else heading(_central_first(group), [s.heading for s in out])
        if title is None:
            out[-1].paragraphs += body
        else:
            out.append(Section(title, body))
    return out


def subtopics(chosen: Sequence[_Unit], units: Sequence[_Unit]) -> list[list[_Unit]]:
    """Groups of units about one thing each, in story order (`aibot.write.order`): the lede's
    group first, holding every sentence that tells the event at a stated time; then the others
    by their kinds of sentence (details before quotations, reactions, background and outlook)
    and their best unit's rank. Inside a group: the lede, then the events by the time they
    name, then the rest by publication time and position in the source."""
    lede = chosen[0]
    total = sum(u.size for u in chosen)
    count = max(1, min(MAX_SECTIONS, round(total / WORDS_PER_SECTION), len(chosen) - 1))
    similar = _context_similarity(chosen, units)
    kinds = [EVENT if u is lede else kind(u.text) for u in chosen]
    groups = _agglomerate(len(chosen), count, similar)
    groups = _absorb_small(_events_with_lede(groups, kinds), similar)
    groups.sort(key=lambda g: (0 not in g, round(sum(kinds[i] for i in g) / len(g), 1), min(g)))
    return [
        [chosen[i] for i in sorted(group, key=lambda i: _story_order(chosen[i], lede, kinds[i]))]
        for group in groups
    ]


def _events_with_lede(groups: list[list[int]], kinds: Sequence[int]) -> list[list[int]]:
    """Every unit that tells the event at a stated time joins the lede's group (index 0), so
    that the sequence of events is told in one place, in order; the rest of the lede's group,
    when there is enough of it, makes a section of its own."""
    events = {i for i, k in enumerate(kinds) if k == EVENT}
    moved = [[i for i in g if i not in events or 0 in g] for g in groups]
    lede_group = next(g for g in moved if 0 in g)
    rest = [i for i in lede_group if i != 0 and i not in events]
    if events - {0} and len(rest) >= MIN_SECTION_UNITS:
        moved.append(rest)  # the lede's sub-topic beyond the events: a section of its own
        lede_group[:] = [0]
    lede_group += sorted(events - set(lede_group))
    return [g for g in moved if g]


def _story_order(unit: _Unit, lede: _Unit, unit_kind: int) -> tuple:
    """The lede, then the events by the time they name, then the rest as their sources tell
    them (a sub-topic's quotations stay beside the facts they comment on)."""
    is_event = unit_kind == EVENT
    when = event_time(unit.text, unit.article.when) if is_event else None
    return (unit is not lede, not is_event, when or unit.article.when, unit.order())


def _central_first(group: Sequence[_Unit]) -> list[str]:
    """The group's texts, the most central to the group first."""
    profile = _profile(group)
    return [u.text for u in sorted(group, key=lambda u: (-cosine(u.vector, profile), u.order()))]


def _profile(group: Sequence[_Unit]) -> dict[str, float]:
    total: Counter[str] = Counter()
    for unit in group:
        total.update(unit.vector)
    return normalise(total)


def _context_similarity(chosen: Sequence[_Unit], units: Sequence[_Unit]) -> list[list[float]]:
    """Second-order similarity: two sentences are alike when they resemble the same sentences
    of the sources. Chosen sentences share few words (that is why they were chosen), so their
    own cosine says little about their subject."""
    singles = [u.vector for u in units if u.length == 1] or [u.vector for u in chosen]
    rows = []
    for unit in chosen:
        row = [cosine(unit.vector, other) for other in singles]
        norm = math.sqrt(sum(x * x for x in row)) or 1.0
        rows.append([x / norm for x in row])
    return [[sum(x * y for x, y in zip(a, b, strict=True)) for b in rows] for a in rows]


def _agglomerate(size: int, count: int, similar: list[list[float]]) -> list[list[int]]:
    """Average-linkage clustering of unit indices down to `count` groups."""
    groups = [[i] for i in range(size)]
    while len(groups) > count:
        pairs = [(i, j) for i in range(len(groups)) for j in range(i + 1, len(groups))]
        i, j = max(pairs, key=lambda p: _merge_value(groups[p[0]], groups[p[1]], similar))
        groups[i] += groups.pop(j)
    return groups


def _absorb_small(groups: list[list[int]], similar: list[list[float]]) -> list[list[int]]:
    """A group of one unit (the lede apart) joins the group it is most like: a heading over a
    single sentence reads thin."""
    groups = [list(g) for g in groups]
    while len(groups) > 1:
        small = [g for g in groups if len(g) < MIN_SECTION_UNITS and 0 not in g]
        if not small:
            break
        lone = small[0]
        groups.remove(lone)
        max(groups, key=lambda g: _linkage(lone, g, similar)).extend(lone)
    return groups


def _merge_value(a: Sequence[int], b: Sequence[int], similar: list[list[float]]) -> float:
    """Average linkage, less a little for size, so that an odd unit out joins a group early
    instead of staying alone while two big groups merge."""
    return _linkage(a, b, similar) - GROUP_SIZE_PENALTY * (len(a) + len(b)) / len(similar)


def _linkage(a: Sequence[int], b: Sequence[int], similar: list[list[float]]) -> float:
    return sum(similar[x][y] for x in a for y in b) / (len(a) * len(b))


def paragraphs(
    group: Sequence[_Unit], lede: _Unit | None = None, claims: frozenset[int] = frozenset()
) -> list[Paragraph]:
    """Consecutive units of one article, a few to a paragraph; the lede stands alone. The first
    unit of a paragraph in `claims` (ids of units) names the outlet whose claim it is."""
    out: list[list[_Unit]] = []
    for unit in group:
        last = out[-1] if out else None
        fits = (
            last is not None
            and last[0] is not lede
            and last[-1].article is unit.article
            and len(last) < MAX_PARAGRAPH_UNITS
            and sum(u.size for u in last) + unit.size <= MAX_PARAGRAPH_WORDS
        )
        if fits:
            last.append(unit)
        else:
            out.append([unit])
    return [Paragraph(_prose(part, claims), _cited(part)) for part in out]


def _prose(part: Sequence[_Unit], claims: frozenset[int]) -> str:
    texts = [u.text for u in part]
    claim = next((i for i, u in enumerate(part) if id(u) in claims), None)
    if claim is not None:
        texts[claim] = attributed(texts[claim], part[claim].article.source)
    return " ".join(texts)


def _credit_claims(units: Sequence[_Unit]) -> None:
    """Marks the units that make a claim (`aibot.write.attribution.is_claim`) no other outlet's
    sentence repeats (cosine at least CORROBORATED) with the words crediting their outlet."""
    for unit in units:
        if any(is_claim(s) for s in sentences(unit.text)) and not any(
            cosine(unit.vector, other.vector) >= CORROBORATED
            for other in units
            if other.article.source != unit.article.source
        ):
            unit.credit = len(unit.article.source.split()) + 1


def _summary(chosen: Sequence[_Unit], units: Sequence[_Unit], lede: str, timezone: str) -> str:
    """The dek (`aibot.write.headline.summary`): another outlet's opening sentence that the
    draft does not use, the most central first, or else the main clause of the lede as the post
    gives it. Candidates read as the post would give them (`_posted`)."""
    first = chosen[0]
    retellings = [
        _posted(u.text, u.article, timezone)
        for u in sorted(units, key=lambda u: (-u.centrality, u.order()))
        if u.position < LEDE_POSITIONS
        and u.length == 1
        and u.article.source != first.article.source
        and not any(u.overlaps(c) for c in chosen)
    ]
    sources = sorted({u.article.id: u.article for u in units}.values(), key=lambda a: a.when)
    extras = [
        _posted(" ".join(t.split()), a, timezone) for a in sources for t in (a.summary, a.title)
    ]
    others = [_posted(u.text, u.article, timezone) for u in chosen[1:] if u.length == 1]
    return summary(lede, _present(retellings), _present(others), _present(extras))


def _present(texts: Sequence[str | None]) -> list[str]:
    """The texts that exist and are news ("Click to email this to a friend" is a summary some
    feeds give)."""
    return [t for t in texts if t and not is_furniture(t)]


def _posted(text: str, article: Article, timezone: str) -> str | None:
    """`text` with its time words resolved and its outlet named, as the post would give it;
    None when a time word names no single day."""
    resolved = resolve_time(text, article.published, timezone).text
    if resolved is None or not resolved.strip():
        return None
    return named_outlet(resolved, article.source)


def _cited(part: Sequence[_Unit]) -> list[str]:
    ordered = sorted({u.article.id: u.article for u in part}.values(), key=lambda a: (a.when, a.id))
    return [a.id for a in ordered]


def _fallback(sources: Sequence[Article]) -> Paragraph:
    """When no sentence stands on its own (feed stubs): the first source's summary or title."""
    first = sources[0]
    return Paragraph(" ".join((first.summary or first.title).split()), [first.id])


def _brief(sources: Sequence[Article]) -> list[Section]:
    return [Section("", [_fallback(sources)])]  # no heading right under the headline


# --- tags --------------------------------------------------------------------------------


def _tags(sources: Sequence[Article], limit: int = 4) -> list[str]:
    counts: Counter[str] = Counter()
    for article in sources:
        counts.update({t.strip().lower() for t in article.tags if t.strip()})
    return [t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
