"""The offline writer: a multi-source news story built from the sources' own sentences.

The method, step by step:

1. Units. Each source is split into sentences (`aibot.text.sentences`), datelines ("LIMA (Reuters)
   -") dropped. A sentence that leans on the one before - it opens with a pronoun or connective
   ("He said…", "But…", "Others…"), names its speaker only as "he"/"she", or carries on a
   quotation - is joined to it, so that no pronoun loses its antecedent and no quotation is cut.
   A unit is a sentence alone or with the sentences that lean on it; units with an unbalanced or
   unattributed quotation, links or share buttons, or no closing punctuation are left out, as
   is every sentence that is page furniture or junk text (`aibot.collect.junk.is_furniture`:
   "Image caption …", "Add X as an interest…", a cookie notice); a source headline that is one
   is passed over for another.
2. Salience. A unit's prior is its TF-IDF cosine with the story's centroid - the mean of the
   sources' own centroids, each weighted by how much it agrees with the other sources, so a long
   article does not outvote a short one and a stray page counts little - plus a bonus for an
   article's first sentences, where news puts its facts. Its relevance adds the weight per word
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
   may fill up to it.
4. Sections. The chosen units are grouped into sub-topics (about one per WORDS_PER_SECTION
   words) by average-linkage clustering on a second-order similarity - two sentences are alike
   when they resemble the same sentences of the sources - with the lede's group first and the
   others by their best unit's rank. Within a group, the lede comes first, then units in order of
   publication time and position in their source. A heading is the group's best noun phrase:
   runs of content words ending in a noun-like word, names kept whole, scored by how much more the
   group uses its words than the other groups, by how often the story uses the phrase, and
   against single words and people's names; one word alone gets a partner ("Shares and Cash").
5. Paragraphs are consecutive units of one article, up to MAX_PARAGRAPH_UNITS; the lede stands
   alone. Each paragraph cites the article its sentences come from, so a quotation is always
   credited to the outlet that reported it.
6. Standing alone (`aibot.write.standalone`): units whose relative time words name no single
   day are left out before selection, and every unit is sized as it will read. In the post, in
   reading order, relative time words become the day they mean in the site's time zone
   ("today" -> "on Monday 23 November"), an outlet's words for itself become its name, a person
   is named in full once and by surname after, and a sentence is dropped when its connective or
   "The plant…" refers to nothing kept before it, or it repeats an earlier one.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from aibot.collect.junk import is_furniture, junk_kind
from aibot.models import Article, Draft, Paragraph, Section, Story
from aibot.text import STOPWORDS, sentences, words
from aibot.vectors import cosine, normalise, tfidf
from aibot.write.standalone import posted_size, standalone

TARGET_WORDS = (250, 400)
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
MAX_HEADING_PHRASE = 5  # words
ESTABLISHED_USES = 3  # sentences of the story using a phrase for it to count in full
SINGLE_WORD_SHARE = 0.5
PERSON_SHARE = 0.3  # "Transport Minister Felix Adebayo-Strand" names a person, not a subject
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
)
_JUNK = re.compile(
    r"https?://|www\.|@\w|©|\b(?:click here|click to|share on|opens? in (?:a )?new window|"
    r"sign up|subscribe|newsletter|cookies?|advertisement|all rights reserved|read more|"
    r"getty images|image (?:copyright|caption)|file photo|ap photo|photo credit|pinterest|"
    r"facebook twitter)\b",
    re.I,
)
_TERMINAL = (".", "!", "?", '"', "”", "’", "'", ")")
_OUTLET_SUFFIX = re.compile(r"\s+(?:[-–—|:]\s+)[^-–—|:]{2,40}$")
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]|[0-9][0-9.,]*")
_CLAUSE_BREAK = re.compile(r"[,;:()\"“”‘’—–!?]|\.(?:\s|$)|\s-\s")
# Words that make poor headings: vague nouns, adverbs, and common verbs (no tagger here).
_WEAK = frozenset(
    """another around away back being thing things lot lots part way time times week weeks
    day days month months today yesterday tomorrow morning afternoon evening night tonight
    people person something anything everything nothing someone anyone everyone statement
    percentage point points cent percent per
    comment comments news report reports story stories case issue issues matter question
    even though already since early late later least less little long much many near next
    now often per really right still well yet whether within without whose whom almost
    nearly ago soon recently currently instead perhaps maybe again ever never""".split()
)
_VERBS = frozenset(
    """is are was were be been being am has have had do does did done get gets got gotten
    make makes made take takes took taken give gives gave given go goes went gone come comes
    came see sees saw seen know knows knew known think thinks thought want wants use uses
    find finds found tell tells told ask asks work works seem seems feel feels felt try
    tries leave leaves left call calls keep keeps kept let lets begin begins began begun help
    helps show shows shown hear hears heard play plays run runs ran move moves live lives
    believe believes hold holds held bring brings brought happen happens write writes wrote
    written provide provides sit sits sat stand stands stood lose loses lost pay pays paid
    meet meets met include includes continue continues set sets learn learns lead leads led
    understand stop stops create creates speak speaks spoke read reads allow allows add adds
    spend spends spent grow grows grew grown open opens walk walks win wins won offer offers
    remember consider considers appear appears buy buys bought wait waits serve serves die
    dies send sends sent expect expects build builds built stay stays fall falls fell fallen
    cut cuts reach reaches kill kills remain remains suggest suggests raise raises pass
    passes sell sells sold require requires decide decides pull pulls rise rises rose risen
    drop drops hit hits put puts mean means meaning become becomes became say says said could
    would should might must will shall can may need needs woke swept struck broke spoke rode
    drove flew threw fought caught taught sought chose froze stole wore tore swore hung rang
    sang sank shook slid spun spread sprang stuck swam swung wept bent crept dealt dug fled
    forgot hid knelt laid lent lit meant quit shot shut slept understood""".split()
)
_NAME = r"[A-Z][a-z]+\s+[A-Z][\w'’-]+"  # a first name and a surname
_SPEAKER = re.compile(
    rf"\b(?:said|says|told|added|admitted|explained|warned|argued|insisted|wrote)\s+"
    rf"(?:[a-z]+\s+){{0,3}}({_NAME})"
    rf"|\b(?:Mr|Mrs|Ms|Dr|Prof)\.?\s+((?:[A-Z][a-z]+\s+)?[A-Z][\w'’-]+)"
)
_TITLES = frozenset(
    """minister governor president chief executive dr prof professor councillor manager
    secretary director senator mayor judge inspector officer spokesman spokeswoman spokesperson
    chairman chairwoman chair leader captain coach analyst economist""".split()
)
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
_NUMBER_WORDS = frozenset(
    """one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety
    hundred thousand million billion trillion half quarter dozen first second third""".split()
)
_ED_NOUNS = frozenset("bed hundred need seed shed speed feed red shred breed greed".split())
_SMALL_WORDS = frozenset("a an and as at but by for in of on or the to vs via with".split())


@dataclass
class _Unit:
    """One or more consecutive sentences of one article that can stand on their own."""

    text: str
    article: Article
    position: int  # index of its first sentence within the article
    length: int  # sentences
    size: int = 0  # words
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
        sources = sorted(articles, key=lambda a: (a.when, a.id))
        if not sources:
            raise ValueError(f"story {story.id} has no articles to write from")
        units, centroid = scored_units(sources)
        chosen = select(_timed(units, self.timezone), self.target_words)
        body = standalone(sections(chosen, units), sources, self.timezone) if chosen else []
        return Draft(
            title=_headline(sources, centroid),
            summary=body[0].paragraphs[0].text if body else _fallback(sources).text,
            sections=body or _brief(sources),
            tags=_tags(sources),
            writer=self.name,
            model=self.model,
        )


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
        yield from (s for s in found if not is_furniture(s))


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
    for unit in units:
        lead = LEAD_BONUS[unit.position] if unit.position < len(LEAD_BONUS) else 0.0
        unit.centrality = cosine(unit.vector, centroid)
        unit.prior = unit.centrality + trust[unit.article.id] * lead
        unit.relevance = unit.prior + CONCEPT_WEIGHT * _density(unit, weights, set())
    return units, centroid


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
    return sum(weights.get(c, 0.0) for c in unit.concepts if c not in covered) / (unit.size + 10)


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
    covered, stated, used = set(lede.concepts), set(lede.numbers), lede.size
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
        used += best.size
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
        if unit.size > room or any(unit.overlaps(c) for c in chosen):
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
    total = sum(weights.get(c, 0.0) for c in unit.concepts)
    if not total:
        return 1.0
    return sum(weights.get(c, 0.0) for c in unit.concepts if c not in covered) / total


# --- 4. sections ---------------------------------------------------------------------------


def sections(chosen: Sequence[_Unit], units: Sequence[_Unit]) -> list[Section]:
    """The lede's sub-topic first, then the others by importance, each under its own heading."""
    if not chosen:
        return []
    groups = subtopics(chosen, units)
    headings = section_headings(groups, units, chosen)
    return [
        Section(heading, paragraphs(group, lede=chosen[0]))
        for group, heading in zip(groups, headings, strict=True)
    ]


def subtopics(chosen: Sequence[_Unit], units: Sequence[_Unit]) -> list[list[_Unit]]:
    """Groups of units about one thing each: the lede's group first, the rest by their best
    unit's rank; inside a group, publication time and then position in the source."""
    lede = chosen[0]
    total = sum(u.size for u in chosen)
    count = max(1, min(MAX_SECTIONS, round(total / WORDS_PER_SECTION), len(chosen) - 1))
    similar = _context_similarity(chosen, units)
    groups = _absorb_small(_agglomerate(len(chosen), count, similar), similar)
    groups.sort(key=min)  # chosen is in rank order, and the lede (0) is first
    return [
        sorted((chosen[i] for i in group), key=lambda u: (u is not lede, u.order()))
        for group in groups
    ]


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


def paragraphs(group: Sequence[_Unit], lede: _Unit | None = None) -> list[Paragraph]:
    """Consecutive units of one article, a few to a paragraph; the lede stands alone."""
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
    return [Paragraph(" ".join(u.text for u in part), _cited(part)) for part in out]


def _cited(part: Sequence[_Unit]) -> list[str]:
    ordered = sorted({u.article.id: u.article for u in part}.values(), key=lambda a: (a.when, a.id))
    return [a.id for a in ordered]


# --- headings ------------------------------------------------------------------------------


def section_headings(
    groups: Sequence[Sequence[_Unit]], units: Sequence[_Unit], chosen: Sequence[_Unit]
) -> list[str]:
    """A heading for every group from its most distinctive noun phrases, none used twice; a
    group's best-ranked unit (the lede, in the first) counts double."""
    rank = {id(u): i for i, u in enumerate(chosen)}
    profiles = [_profile(g) for g in groups]
    capitals = _capitalised_words(units)
    usage = _phrase_usage(units, capitals)
    people = _people(units)
    headings: list[str] = []
    for index, group in enumerate(groups):
        others = [p for i, p in enumerate(profiles) if i != index]
        weights = _distinctive(profiles[index], others)
        top = min(group, key=lambda u: rank[id(u)])
        phrases = _ranked_phrases(group, top, weights, capitals, usage, people)
        headings.append(_heading(phrases, taken={h.lower() for h in headings}))
    return headings


def _people(units: Sequence[_Unit]) -> frozenset[str]:
    """Surnames of people the sources quote or name with a courtesy title (lower case)."""
    found: set[str] = set()
    for unit in units:
        for match in _SPEAKER.finditer(unit.text):
            name = words(match.group(1) or match.group(2))
            if name:
                found.add(name[-1])
    return frozenset(found)


def _names_person(key: str, people: frozenset[str]) -> bool:
    """A phrase naming a person ("Renata Szabo-Lind", "Transport Minister …") says who, not
    what a section is about."""
    parts = key.split()
    return parts[-1] in people or bool(_TITLES & set(parts))


def _phrase_usage(units: Sequence[_Unit], capitals: frozenset[str]) -> Counter[str]:
    """How many units of the whole story use each phrase (each sentence counted once)."""
    usage: Counter[str] = Counter()
    for unit in units:
        if unit.length == 1:
            usage.update({" ".join(words(p)) for p in _phrases(unit.text, capitals)})
    return usage


def _profile(group: Sequence[_Unit]) -> dict[str, float]:
    total: Counter[str] = Counter()
    for unit in group:
        total.update(unit.vector)
    return normalise(total)


def _distinctive(own: dict[str, float], others: Sequence[dict[str, float]]) -> dict[str, float]:
    """How much more a group uses each term than the other groups do on average."""
    if not others:
        return dict(own)
    return {t: w - sum(o.get(t, 0.0) for o in others) / len(others) for t, w in own.items()}


def _capitalised_words(units: Sequence[_Unit]) -> frozenset[str]:
    """Words the sources capitalise in mid-sentence: names, which keep their capitals."""
    found: set[str] = set()
    for unit in units:
        for sentence in sentences(unit.text):
            found.update(t for t in _TOKEN.findall(sentence)[1:] if t[0].isupper())
    return frozenset(found)


def _ranked_phrases(
    group: Sequence[_Unit],
    top: _Unit,
    weights: dict[str, float],
    capitals: frozenset[str],
    usage: Counter[str],
    people: frozenset[str],
) -> list[tuple[str, float]]:
    """Noun-phrase-like runs of words in the group, best first, with their scores, in their
    usual spelling. A phrase scores the distinctive weight of its words, times the square root
    of the group's units that use it, less for a phrase the story uses only once or twice (an
    established phrase is a name for something) and for a single word (vague)."""
    support: Counter[str] = Counter()
    spelling: dict[str, Counter[str]] = {}
    for unit in group:
        for phrase in set(_phrases(unit.text, capitals)):
            key = " ".join(words(phrase))
            if key:
                support[key] += 2 if unit is top else 1
                spelling.setdefault(key, Counter())[phrase] += 1
    score = {
        key: sum(max(weights.get(t, 0.0), 0.0) for t in key.split())
        * math.sqrt(n)
        * min(usage[key], ESTABLISHED_USES)
        / ESTABLISHED_USES
        * (SINGLE_WORD_SHARE if " " not in key else 1.0)
        * (PERSON_SHARE if _names_person(key, people) else 1.0)
        for key, n in support.items()
    }
    ranked = sorted((k for k in score if score[k] > 0), key=lambda k: (-score[k], k))
    return [(spelling[k].most_common(1)[0][0], score[k]) for k in ranked]


def _phrases(text: str, capitals: frozenset[str]) -> Iterator[str]:
    """Runs of content words within a clause, outside quotations, never splitting a name
    ("Dock and Harbour Workers' Union" is whole or absent)."""
    text = re.sub(r"[\"“][^\"”]*[\"”]", " , ", text)
    for clause in _CLAUSE_BREAK.split(text):
        tokens = [_as_written(t, i == 0, capitals) for i, t in enumerate(_TOKEN.findall(clause))]
        chunks: list[list[str]] = []
        for i, word in enumerate([*tokens, ""]):
            named = word[:1].isupper() and chunks and chunks[-1][-1][:1].isupper()
            if named:
                chunks[-1].append(word)
            elif word and _content_word(word):
                chunks.append([word])
            elif _joins_name(word, chunks, tokens[i + 1 : i + 2]):
                chunks[-1].append(word)
            else:
                yield from _spans(chunks)
                chunks = []


def _joins_name(word: str, chunks: list[list[str]], following: list[str]) -> bool:
    """ "of" or "and" between two capitalised words is part of a name: "Bank of Calder"."""
    return (
        word in ("of", "and", "for", "on")
        and bool(chunks)
        and chunks[-1][-1][:1].isupper()
        and bool(following)
        and following[0][:1].isupper()
    )


def _spans(chunks: list[list[str]]) -> Iterator[str]:
    """The run's tails of up to MAX_HEADING_PHRASE words: English puts a phrase's head noun
    last, so "consumer price inflation" is a phrase and "annual consumer price" is not."""
    if not chunks or _verb_like(chunks[-1][-1]):
        return
    size = 0
    for start in range(len(chunks) - 1, -1, -1):
        size += len(chunks[start])
        if size > MAX_HEADING_PHRASE:
            break
        yield " ".join(w for chunk in chunks[start:] for w in chunk)


def _as_written(token: str, first: bool, capitals: frozenset[str]) -> str:
    """The token, a sentence's first word in lower case unless the sources capitalise it
    elsewhere; a possessive ends a phrase ("the board's monetary policy" gives "board" and
    "monetary policy"), so it is returned empty, as a break."""
    if re.search(r"['’]s?$", token):
        return ""
    if first and token[:1].isupper() and token not in capitals and not token.isupper():
        return token.lower()
    return token


def _content_word(word: str) -> bool:
    lower = word.lower()
    if lower in STOPWORDS or len(lower) < 3 or not lower[0].isalpha():
        return False
    if word[0].isupper():
        return True  # a name
    if lower in _WEAK or lower in _NUMBER_WORDS or lower.split("-")[0] in _NUMBER_WORDS:
        return False
    return not (lower.endswith("ly") or _verb_like(word))


def _verb_like(word: str) -> bool:
    """A lower-case word that reads as a verb: the heading needs nouns (a guess, no tagger)."""
    lower = word.lower()
    if word[0].isupper():
        return False
    return lower in _VERBS or (lower.endswith("ed") and lower not in _ED_NOUNS)


def _heading(phrases: Sequence[tuple[str, float]], taken: set[str]) -> str:
    """The best phrase. A single word gives way to the best longer phrase holding it ("rate"
    to "Interest Rate"), or else is joined by the next phrase ("Shares and Cash")."""
    options = [(p, v) for p, v in phrases if _titled(p).lower() not in taken]
    if not options:
        return _fallback_heading(taken)
    best = options[0][0]
    if len(best.split()) == 1:
        longer = [p for p, _ in options[1:] if len(p.split()) > 1 and _overlaps(p, best)]
        partner = next((p for p, _ in options[1:6] if not _overlaps(p, best)), None)
        if longer:
            best = longer[0]
        elif partner is not None and len(partner.split()) <= 3:
            best = f"{best} and {partner}"
    return _titled(best) if len(best.split()) > 1 else f"{_titled(best)} in Focus"


def _fallback_heading(taken: set[str]) -> str:
    for heading in ("More on the Story", "Further Details", "Other Developments"):
        if heading.lower() not in taken:
            return heading
    return f"Part {len(taken) + 1}"


def _overlaps(a: str, b: str) -> bool:
    return bool(set(words(a)) & set(words(b)))


def _titled(phrase: str) -> str:
    out = []
    for i, word in enumerate(phrase.split()):
        if i and word.lower() in _SMALL_WORDS:
            out.append(word.lower())
        elif word[:1].islower():
            out.append("-".join(part[:1].upper() + part[1:] for part in word.split("-")))
        else:
            out.append(word)
    return " ".join(out)


def _fallback(sources: Sequence[Article]) -> Paragraph:
    """When no sentence stands on its own (feed stubs): the first source's summary or title."""
    first = sources[0]
    return Paragraph(" ".join((first.summary or first.title).split()), [first.id])


def _brief(sources: Sequence[Article]) -> list[Section]:
    return [Section("In Brief", [_fallback(sources)])]


# --- headline and tags ---------------------------------------------------------------------


def _headline(sources: Sequence[Article], centroid: dict[str, float]) -> str:
    def fit(article: Article) -> float:
        return cosine(normalise(dict(Counter(words(article.title)))), centroid)

    # A furniture headline ("Watch: …") only when no other is left; a junk one never.
    titled = [a for a in sources if a.title.strip() and not is_furniture(a.title)] or [
        a for a in sources if a.title.strip() and junk_kind(a.title) is None
    ]
    if not titled:
        return "Untitled story"
    best = max(titled, key=lambda a: (fit(a), -a.when.timestamp()))
    return clean_headline(best.title, best.source)


def clean_headline(title: str, outlet: str = "") -> str:
    """A source headline without the outlet's suffix (" - Reuters", " | BBC News")."""
    title = " ".join(title.split())
    if outlet and title.lower().endswith(outlet.lower()):
        trimmed = title[: -len(outlet)].rstrip(" -–—|:")
        if trimmed:
            return trimmed
    match = _OUTLET_SUFFIX.search(title)
    if match and outlet and outlet.lower() in match.group(0).lower():
        return title[: match.start()]
    return title


def _tags(sources: Sequence[Article], limit: int = 4) -> list[str]:
    counts: Counter[str] = Counter()
    for article in sources:
        counts.update({t.strip().lower() for t in article.tags if t.strip()})
    return [t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
